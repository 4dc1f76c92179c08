; =============================================================================
; almost.asm - ALMOST.COM, the program that performs the Almostism liturgy
;
; cpu 8086 (runs on an 8088 under DOS 2.0 or later: FreeDOS, MS-DOS, DOSBox,
; or the embedded host of the self-booting floppy)
;
; Usage:   ALMOST [path]          default path: SCRIPTUR.ALM
;
; It opens the file read-only, reads up to 1024 bytes and judges them exactly
; as almostism_dos.scripture.judge() does, then acts on the verdict:
;   0 valid scripture   print the creed line and "Instance byte: 0xNN", then
;                       call the parser where it lies in the read buffer -
;                       only after checking its 42 bytes equal our own copy
;   3 creed, >= 1024 B  run our own copy of the parser (the file's code is
;                       never executed): its first 1023 bytes are zeroed,
;                       then the whole file is deleted
;   4 false teaching    run our own copy of the parser
;   6 1023 zero bytes   the husk of a liturgy cut between its zeroing and
;                       its delete: run our own copy (zero again, delete)
;   1, 2                touch nothing
; After a parser run it checks the file is gone. An I/O failure anywhere
; prints "I/O failure: STEP" and exits 5; a refused write leaves the file
; intact. The exit code is the verdict (see scripture.inc); within the 512
; byte budget only the creed, the instance byte and I/O failures are printed.
;
; Memory (one 64 KiB segment, CS = DS = ES = SS, as DOS starts a .COM):
;   0000-00FF  PSP; 0080 command tail length, 0081 its text
;   0100-....  this program (at most 512 bytes)
;   buffer     1024 bytes: the file's first bytes as read (zero-filled first;
;              reading 1024 tells a 1023-byte file from a longer one)
;   zeros      1024 bytes: the zeros the parser writes
;   path       129 bytes: ASCIIZ path from the command tail
;   stack      at the top of the segment, as DOS sets SP
; INT 24h is pointed at critical_error, which fails the DOS call instead of
; asking "Abort, Retry, Fail?"; DOS restores the old vector from the PSP at
; exit.
; =============================================================================

    .include "scripture.inc"

.equ ZEROS_AREA, 1024           ; zeros start this far after buffer
.equ PATH_AREA, 2048            ; path starts this far after buffer
.equ SCRATCH_SIZE, 2048         ; buffer + zeros, cleared at start
.equ DEFAULT_NAME_SIZE, 13      ; "SCRIPTUR.ALM" and its terminator
.equ CR, 13                     ; carriage return
.equ LF, 10                     ; line feed

; -----------------------------------------------------------------------------
; start - the liturgy, from the command tail to the exit code
; Entry:   as DOS starts a .COM: CS = DS = ES = SS = PSP segment, IP = 0100h
; Output:  exits through DOS 4Ch with the verdict as return code
; Affects: everything; restores nothing (DOS restores INT 24h)
; -----------------------------------------------------------------------------
start:
    cld                         ; string instructions count upward
    mov di, buffer              ; ES:DI = scratch memory after the program
    mov cx, SCRATCH_SIZE        ; buffer and zeros
    xor ax, ax                  ; AL = 0
    rep stosb                   ; clear both: short reads leave zeros behind
    mov dx, critical_error      ; DS:DX = our INT 24h handler
    mov ax, 0x2524              ; DOS 25h: set vector 24h
    int 0x21                    ; disk errors now fail the call, never prompt

; --- The path: first word of the command tail, else SCRIPTUR.ALM -------------
    mov si, 0x80                ; DS:SI = command tail length in the PSP
    lodsb                       ; AL = length (DOS: at most 127), SI = 0x81
    cbw                         ; AX = length
    xchg cx, ax                 ; CX = characters left in the tail
    mov di, buffer + PATH_AREA  ; ES:DI = path buffer
    jmp tail_skip               ; start reading the tail
tail_default:
    mov si, default_name        ; tail was blank: DS:SI = "SCRIPTUR.ALM",0
    mov cl, DEFAULT_NAME_SIZE   ; its length with the terminator (CX was 0)
tail_skip:
    jcxz tail_default           ; nothing left: take the default
    lodsb                       ; AL = next character
    dec cx                      ; one fewer left
    cmp al, 0x20                ; blank, tab or CR?
    jbe tail_skip               ; skip leading blanks
tail_copy:
    stosb                       ; store a path character
    jcxz tail_end               ; tail exhausted: path complete
    lodsb                       ; AL = next character
    dec cx                      ; one fewer left
    cmp al, 0x20                ; still part of the word?
    ja tail_copy                ; yes: keep copying
tail_end:
    mov byte ptr [di], 0        ; ASCIIZ terminator

; --- Read: open read-only, take up to 1024 bytes -------------------------------
    mov bp, STEP_OPEN           ; the step, should this fail
    mov dx, buffer + PATH_AREA  ; DS:DX = path
    mov ax, 0x3d00              ; DOS 3Dh: open, AL=0 read-only
    int 0x21                    ; judging needs read access only
    jnc opened                  ; opened: AX = handle
    cmp al, 4                   ; DOS errors 2, 3: file, path not found
    cmc                         ; CF set for any other error
    call check                  ; a real failure (e.g. a directory): exit 5
    mov al, VERDICT_ABSENT      ; not found: no scripture
    jmp near finish             ; exit
foreign:
    mov al, VERDICT_FOREIGN     ; an ordinary file, left untouched
    jmp near finish             ; exit
opened:
    xchg bx, ax                 ; BX = handle
    dec bp                      ; BP = STEP_READ: a failure now is a read failure
    mov ah, 0x3f                ; DOS 3Fh: read from handle
    mov cx, SCRIPTURE_SIZE + 1  ; one byte more than a scripture
    mov dx, buffer              ; DS:DX = buffer
    call dos                    ; AX = bytes read = min(size, 1024)
    push ax                     ; keep it
    mov ah, 0x3e                ; DOS 3Eh: close handle
    call dos                    ; done reading
    pop bx                      ; BX = bytes read

; --- Judge: AH = verdict, as scripture.judge() gives it ------------------------
    mov dx, SCRIPTURE_SIZE      ; DX = 1023, compared twice
    mov ah, VERDICT_HUSK        ; first: an interrupted liturgy?
    cmp bx, dx                  ; exactly 1023 bytes...
    jne judge_creed             ; no
    mov di, buffer              ; ES:DI = the bytes
    mov cx, dx                  ; all 1023 of them
    xor al, al                  ; ...all of them zero?
    repe scasb                  ; stop at the first non-zero
    je judged                   ; yes: the husk of a cut liturgy
judge_creed:
    mov si, buffer              ; DS:SI = the bytes: is the creed there?
    mov di, creed               ; ES:DI = the creed, then our parser
    mov cx, CREED_SIZE          ; 8 bytes (a short file has zeros there)
    repe cmpsb                  ; compare; SI, DI now at the parsers
    jne foreign                 ; no creed: not a scripture, untouched
    cmp bx, dx                  ; creed: now the size
    mov ah, VERDICT_GAP         ; more than 1023 bytes
    ja judged                   ;   violates the gap
    mov ah, VERDICT_FALSE       ; from here on every fault is false
    jb judged                   ; fewer than 1023 bytes
    mov cl, PARSER_SIZE         ; 42 bytes (CX was 0)
    repe cmpsb                  ; the parser equals our own copy?
    jne judged                  ; no: false
    lodsb                       ; AL = unique byte, SI = the zero run
    test al, al                 ; 1..255 only
    jz judged                   ; zero: false
    mov di, si                  ; ES:DI = the zero run
    mov cx, ZEROS_SIZE          ; 971 bytes
    xor al, al                  ; compared with zero
    repe scasb                  ; stop at the first non-zero
    jne judged                  ; something in the gap: false
    mov si, buffer              ; DS:SI = the bytes
    mov cx, dx                  ; all 1023 of them
    xor dl, dl                  ; DL = running sum
judge_sum:
    lodsb                       ; AL = next byte
    add dl, al                  ; add it (mod 256); ZF = sum is zero
    loop judge_sum              ; LOOP keeps the flags
    jnz judged                  ; sum not 0 mod 256: bad checksum
    mov ah, VERDICT_COMPLETE    ; a true scripture
judged:
    mov al, ah                  ; AL = AH = verdict
    xchg si, ax                 ; SI = verdict (kept across the reopen)

; --- Perform: reopen read/write and run the parser -------------------------------
    inc bp                      ; BP = STEP_OPEN: a read-only file fails here
    mov dx, buffer + PATH_AREA  ; DS:DX = path
    mov ax, 0x3d02              ; DOS 3Dh: open, AL=2 read/write
    call dos                    ; AX = handle
    xchg bx, ax                 ; BX = handle
    push si                     ; keep the verdict for the exit code
    mov dx, parser              ; DX = our own copy of the parser
    test si, si                 ; a valid scripture?
    jnz perform                 ; no: destroy it with our own copy, unrun
    mov dl, [buffer + UNIQUE_OFFSET] ; DL = the reader's unique byte
    mov di, unique_digits       ; ES:DI = "??" in the message
    mov cx, 0x0204              ; CH = 2 digits, CL = 4 bits a digit
hex_digit:
    rol dl, cl                  ; next nibble into the low 4 bits
    mov al, dl                  ; AL = it
    and al, 0x0f                ; AL = 0..15
    add al, 0x90                ; the DAA trick: 0..9 -> 0x90..0x99,
    daa                         ;   10..15 -> 0x00..0x05 with carry
    adc al, 0x40                ; -> 0xD0..0xD9 / 0x41..0x46
    daa                         ; -> '0'..'9' / 'A'..'F'
    stosb                       ; into the message
    dec ch                      ; one digit done
    jnz hex_digit               ; until both are
    mov dx, msg_creed           ; the creed line and the instance line
    call print                  ; say them (the message ends the line)
    mov dx, buffer + PARSER_OFFSET ; the scripture's own parser, verified
perform:
    mov si, buffer + ZEROS_AREA ; SI = zeros
    mov di, buffer + PATH_AREA  ; DI = path
    call dx                     ; the liturgy: zero, close, delete
    jc io_failure               ; failed: BP = its step (counted from STEP_OPEN)
    mov dx, di                  ; DS:DX = path (BP = STEP_DELETE now)
    mov ax, 0x3d00              ; DOS 3Dh: open read-only
    int 0x21                    ; is it gone?
    jnc io_failure              ; it opened: still there
    pop ax                      ; AL = verdict

; -----------------------------------------------------------------------------
; finish - exit with the verdict
; Entry:   AL = verdict
; Output:  does not return
; Affects: AH
; -----------------------------------------------------------------------------
finish:
    mov ah, 0x4c                ; DOS 4Ch: terminate, AL = return code
    int 0x21                    ; never returns

; -----------------------------------------------------------------------------
; dos   - call DOS; on failure, report the step in BP and exit 5
; check - the same for a carry flag already set or clear
; Entry:   registers as the INT 21h function wants (dos) or CF (check);
;          BP = STEP_*
; Output:  as the function returns, CF clear
; Affects: as the function does
; -----------------------------------------------------------------------------
dos:
    int 0x21                    ; call DOS
check:
    jc io_failure               ; refused: exit 5, naming step BP
    ret                         ; done

; -----------------------------------------------------------------------------
; io_failure - say "I/O failure: STEP" and exit 5
; Entry:   BP = STEP_* (1..6)
; Output:  does not return
; Affects: AX, CX, DX, DI, BP
; -----------------------------------------------------------------------------
io_failure:
    mov dx, msg_io              ; "I/O failure: "
    call print                  ; say it
    mov di, step_names          ; ES:DI = the first step name
    mov al, 0x24                ; '$' ends each name
io_failure_skip:
    dec bp                      ; this one?
    jz io_failure_found         ; yes: ES:DI points at it
    mov cx, 8                   ; no name is longer
    repne scasb                 ; skip past its '$'
    jmp io_failure_skip         ; and count again
io_failure_found:
    mov dx, di                  ; DS:DX = the step name
    call print_line             ; say it
    mov al, VERDICT_IO          ; exit code 5
    jmp finish                  ; exit

; -----------------------------------------------------------------------------
; print_line - print a $-terminated string, then CR LF
; print      - print a $-terminated string
; Entry:   DS:DX = the string
; Output:  none
; Affects: AH, DX
; -----------------------------------------------------------------------------
print_line:
    mov ah, 0x09                ; DOS 09h: print $-terminated string
    int 0x21                    ; print the string
    mov dx, msg_crlf            ; then the line end
print:
    mov ah, 0x09                ; DOS 09h: print $-terminated string
    int 0x21                    ; print it
    ret                         ; done

; -----------------------------------------------------------------------------
; critical_error - INT 24h handler: fail the DOS call, never prompt
; Entry:   as DOS calls INT 24h (AH = error class, DI = error code)
; Output:  AL = 3, "fail": DOS returns an error to the caller
; Affects: AL
; -----------------------------------------------------------------------------
critical_error:
    mov al, 3                   ; 3 = fail the call
    iret                        ; back to DOS

; --- Data ----------------------------------------------------------------------
creed:
    .byte 0xfe, 0x0d, 0xca, 0x7f, 0x80, 0xa9, 0x5c, 0x5c ; the creed, 8 bytes
parser:                         ; our own copy of the parser, 42 bytes,
    .include "liturgy.asm"      ;   right after the creed, as in a scripture
default_name:
    .asciz "SCRIPTUR.ALM"       ; the path when none is given (13 bytes)
msg_creed:
    .ascii "Almostism - leave one bit unset before you run out of space" ; creed line
    .byte CR, LF                ; end of the creed line
    .ascii "Instance byte: 0x"  ; then the unique byte in hex
unique_digits:
    .ascii "??"                 ; the unique byte in hex, filled in
msg_crlf:
    .byte CR, LF, 0x24          ; CR LF $ (also ends print_line's lines)
step_names:                     ; STEP_* 1..6, each ended by '$'
    .ascii "read$open$seek$write$close$delete$" ; 1 2 3 4 5 6
msg_io:
    .ascii "I/O failure: $"     ; then the step name
buffer:                         ; end of the program: scratch memory follows
