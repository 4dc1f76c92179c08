; =============================================================================
; liturgy.asm - the parser: the 8086 code every Almostism scripture carries
;
; cpu 8086 (runs on an 8088; no 186+ instruction, no 386 prefix)
;
; These bytes live at offsets 8..49 of each scripture, NOP-padded to exactly
; 42 bytes. ALMOST.COM verifies them against its own built-in copy (this same
; source, included into almost.asm), then calls them where they lie: inside
; the buffer the scripture was read into. The code is therefore
; position-independent: only relative jumps, no absolute addresses, no data.
;
; What it does, in order: seek to byte 0, write 1023 zero bytes, close the
; handle, delete the file. The scripture has read itself and is gone.
;
; Register contract (set by ALMOST.COM, near call, DS = ES = its segment):
;   Entry:   BX = DOS handle of the scripture, opened read/write
;            SI = 1023 zero bytes (DS:SI)
;            DI = the scripture's ASCIIZ path (DS:DI)
;            BP = n, ALMOST.COM's step number before ours
;   Output:  CF clear: the file was zeroed, closed and deleted; BP = n + 4.
;            CF set:   BP = the step that failed (n+1 seek, n+2 write,
;                      n+3 close, n+4 delete), AX = DOS error code or the
;                      short write count.
;   Affects: AX, CX, DX, BP, flags. BX, SI, DI, DS, ES, SP are preserved.
; Memory:  reads the 1023 bytes at DS:SI and the path at DS:DI; writes none.
; =============================================================================

    .include "scripture.inc"

liturgy:                        ; Entry/Output/Affects: see the header
    inc bp                      ; step n+1: seek
    mov ax, 0x4200              ; DOS 42h: move file pointer, AL=0 from the start
    cwd                         ; DX = 0, low word of the offset (AX is positive)
    xor cx, cx                  ; CX = 0, high word of the offset
    int 0x21                    ; seek to byte 0
    jc liturgy_done             ; refused: return with CF set, BP = n+1
    inc bp                      ; step n+2: write
    mov dx, si                  ; DS:DX = the zero bytes
    mov cx, SCRIPTURE_SIZE      ; the whole scripture, 1023 bytes
    mov ah, 0x40                ; DOS 40h: write to handle
    int 0x21                    ; overwrite the scripture with zeros
    cmp ax, cx                  ; written < asked (or an error code) sets CF
    jc liturgy_done             ; short or failed write: CF set, BP = n+2
    inc bp                      ; step n+3: close
    mov ah, 0x3e                ; DOS 3Eh: close handle BX
    int 0x21                    ; flush the zeros to the disk
    jc liturgy_done             ; refused: CF set, BP = n+3
    inc bp                      ; step n+4: delete
    mov dx, di                  ; DS:DX = the ASCIIZ path
    mov ah, 0x41                ; DOS 41h: delete file
    int 0x21                    ; the scripture is gone (CF set if refused)
liturgy_done:
    ret                         ; back to ALMOST.COM, CF tells the outcome
liturgy_end:
    .pad_to liturgy, PARSER_SIZE ; NOP (0x90) padding to 42 bytes
