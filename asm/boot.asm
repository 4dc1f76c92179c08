; =============================================================================
; boot.asm - the self-booting Almostism floppy: boot sector, then the host
;
; cpu 8086 (an 8088 PC; any floppy drive the BIOS knows, or any BIOS hard
; disk: a USB stick, a CF card, an XT-IDE card)
;
; One program, assembled at 0000:7C00: its first 512 bytes are the boot
; sector, the rest is the host (host.asm), stored in the reserved sectors
; right after the boot sector and loaded right behind it, at 0000:7E00.
; The boot sector holds the routines that reach the disk and the screen:
; sector_io, disk, print and putc; the boot half itself calls sector_io and
; print.
;
; The BIOS loads the boot sector to 0000:7C00 (some enter at 07C0:0000: the
; first jump makes CS = 0). Bytes 3..61 hold the OEM name and the BPB,
; written by the builder for the volume's size. From a floppy (DL < 80h)
; the BPB's geometry is the drive's, as it always was. From a hard disk
; (DL >= 80h: the BIOS may present a USB stick or a CF card so, with the
; same image on it) the BIOS's geometry replaces the BPB's heads and
; sectors a track in memory (INT 13h AH=08h), and where the BIOS has the
; EDD packet calls (AH=41h) every sector goes by LBA (AH=42h/43h). Every
; sector number is the volume's, plus the BPB's hidden sectors (0 on a
; floppy; where the volume starts, on a partitioned disk). The host is the
; reserved sectors after this one, read one at a time (three tries with a
; reset between, as DOS does), then it runs, if its last word is the mark
; that says it is the host: sectors read from the wrong place (a BPB whose
; hidden sectors are not where the partition starts) print "No host" too.
;
; Memory:  0000:7C00 boot sector (its BPB stays readable, the drive's own
;          geometry in it), 0000:7E00 host, stack below 0000:7C00 (see
;          host.asm for the rest)
; Entry:   as the BIOS starts a boot sector: DL = boot drive
; Output:  runs the host with CS = DS = ES = SS = 0, [drive] = the boot
;          drive; on a disk error prints a message and halts
; Affects: everything
; =============================================================================

.equ HOST_LOAD, 0x7e00          ; where the host sectors go
.equ HOST_MARK, 0x4c41          ; "AL": the host's last word, checked before it runs
    .include "fat12.inc"
    .include "floppy.inc"

start:
    jmp boot                    ; over the BPB (EB 3C)
    nop                         ; the third byte DOS expects (90)
bpb:
    .fill 59, 1, 0              ; OEM name and BPB, written by the builder
boot:
    jmp far 0:boot_cs0          ; CS = 0, whatever the BIOS used
boot_cs0:
    cli                         ; no interrupts while the stack moves
    xor ax, ax                  ; AX = 0
    mov ds, ax                  ; DS = 0: the BPB is at 0000:7C0B
    mov es, ax                  ; ES = 0: the host goes to 0000:7E00
    mov ss, ax                  ; SS = 0
    mov sp, 0x7c00              ; stack below this sector
    sti                         ; interrupts back on
    cld                         ; string instructions count upward
    mov [drive], dl             ; every disk call names this drive
    test dl, dl                 ; a floppy (DL < 80h)?
    jns boot_load               ; yes: its BPB's geometry is the drive's

; --- A hard disk (a USB stick, a CF card): the BIOS's geometry, not the
; BPB's, and LBA when the BIOS has the EDD packet calls ---------------------
    mov ah, 0x08                ; BIOS: drive parameters
    int 0x13                    ; CL bits 0-5 = sectors a track, DH = last head
    push ds                     ; some BIOSes point ES:DI at a table
    pop es                      ;   even for a hard disk: ES = 0 again
    jc boot_edd                 ; no answer: the BPB's geometry
    and cx, 0x3f                ; CX = sectors a track
    mov [BPB_SECTORS_PER_TRACK], cx
    mov al, dh                  ; AX = last head (AH = 0: no error)
    inc ax                      ; AX = heads
    mov [BPB_HEADS], ax
boot_edd:
    mov ah, 0x41                ; EDD: installation check
    mov bx, 0x55aa
    mov dl, [drive]             ; (AH=08h left the drive count in DL)
    int 0x13
    jc boot_load                ; no EDD
    cmp bx, 0xaa55              ; answered by an EDD BIOS?
    jne boot_load
    shr cl, 1                   ; bit 0: the packet calls 42h and 43h
    jnc boot_load               ; without them: CHS
    inc byte ptr [edd]          ; LBA from now on

; --- The host: the reserved sectors after this one, one at a time ----------
boot_load:
    mov cx, [BPB_RESERVED_SECTORS] ; CX = host sectors + 1
    dec cx                      ; CX = host sectors
    mov si, 1                   ; the first is sector 1 of the volume
    mov bx, HOST_LOAD           ; ES:BX = 0000:7E00
    mov byte ptr [disk_op], 2   ; reading
boot_read:
    push cx                     ; sector_io uses CX
    call sector_io              ; one host sector
    pop cx
    jc boot_failed              ; three tries failed
    inc si                      ; the next sector
    add bx, SECTOR_SIZE         ;   512 bytes on
    loop boot_read              ; every host sector
    cmp word ptr [host_mark], HOST_MARK ; the host's last word: read whole,
    jne boot_failed             ;   and from where it lies (hidden sectors)?
    jmp near host               ; run the host
boot_failed:
    mov si, boot_message        ; DS:SI = the message
    call print                  ; say it
halt:
    cli                         ; nothing may wake us
    hlt                         ; stop
    jmp halt                    ; and stay stopped

; -----------------------------------------------------------------------------
; disk - one sector (sector_io), then INT 24h decides: retry, ignore, fail
; Entry:   AX = sector (LBA in the volume), ES:BX = buffer, [disk_op] = 2
;          read, 3 write, DS = 0
; Output:  CF clear, AX kept; CF set: AX = DOS error code
; Affects: AX, flags
; -----------------------------------------------------------------------------
disk:
    push cx                     ; keep CX, DX, SI, DI
    push dx
    push si
    push di
    mov si, ax                  ; SI = the sector
disk_retry:
    call sector_io              ; three tries
    jnc disk_ok                 ; done

; --- Tries spent: INT 24h decides. AH bit 0 = write, bits 1-2 = area (11:
; data), bits 3-5 = fail, retry, ignore allowed; DI = the error ------------
    mov al, 0x0d
    sub al, [disk_op]           ; AL = 0Bh read fault, 0Ah write fault
    cbw
    xchg di, ax                 ; DI = it
    cmp byte ptr [disk_status], 3 ; write-protected?
    jne disk_ask
    xor di, di                  ; DI = 0: write-protect
disk_ask:
    mov ah, [disk_op]           ; AH = 3Eh read, 3Fh write (2, 3 + 3Ch)
    add ah, 0x3c
    mov al, [drive]             ; AL = drive
    int 0x24                    ; the program's handler (or ours)
    cmp al, 1                   ; retry?
    je disk_retry               ; three more tries
    test al, al                 ; ignore?
    jz disk_ok                  ; as if it had worked
    mov ax, 0x1f                ; error 1Fh: general failure
    cmp byte ptr [disk_status], 3 ; write-protected?
    jne disk_failed
    mov ax, 0x13                ; error 13h: write-protected
disk_failed:
    stc                         ; failed
    jmp disk_out                ; leave with CF set
disk_ok:
    mov ax, si                  ; AX = the sector
    clc                         ; success
disk_out:
    pop di                      ; restore DI, SI, DX, CX
    pop si
    pop dx
    pop cx
    ret

; -----------------------------------------------------------------------------
; sector_io - one sector through INT 13h, three tries with a reset between:
;             an LBA packet where the BIOS has EDD, else cylinder/head/sector
; Entry:   SI = sector (LBA in the volume; the BPB's hidden sectors are
;          added), ES:BX = buffer, [disk_op] = 2 read, 3 write, DS = 0
; Output:  CF clear: done; CF set: [disk_status] = the BIOS's last error
; Affects: AX, CX, DX, DI, flags
; -----------------------------------------------------------------------------
sector_io:
    mov byte ptr [tries], 3     ; three tries
sector_try:
    push si                     ; kept for the next try
    push ds                     ; DS = 0, back after the call
    mov di, sp                  ; SP before any packet
    mov ax, si                  ; DX:AX = the sector on the drive
    xor dx, dx
    add ax, [BPB_HIDDEN_SECTORS]
    adc dx, [BPB_HIDDEN_SECTORS + 2]
    cmp byte ptr [edd], 0       ; LBA?
    jne sector_packet

; --- Cylinder/head/sector; cylinder bits 8-9 go in CL's top two bits -------
    div word ptr [BPB_SECTORS_PER_TRACK] ; AX = track, DX = sector in it
    mov cl, dl                  ; CL = sector number, counted from 1
    inc cx
    xor dx, dx                  ; DX:AX = track
    div word ptr [BPB_HEADS]    ; AX = cylinder, DX = head
    mov ch, al                  ; CH = cylinder bits 0-7
    ror ah, 1                   ; AH bits 6-7 = cylinder bits 8-9
    ror ah, 1
    or cl, ah
    mov dh, dl                  ; DH = head
    mov ah, [disk_op]           ; AH = read or write
    mov al, 1                   ; one sector
    jmp sector_call

; --- An EDD packet on the stack: size 16, one sector, ES:BX, the LBA. The
; stack is a program's under INT 21h, so DS follows SS for the call ---------
sector_packet:
    xor cx, cx                  ; LBA bits 32-63 = 0
    push cx
    push cx
    push dx                     ; LBA bits 16-31
    push ax                     ; LBA bits 0-15
    push es                     ; the buffer
    push bx
    inc cx                      ; one sector
    push cx
    mov cl, 0x10                ; the packet's size
    push cx
    mov ax, 0x4000              ; AH = 42h read, 43h write; AL = 0: no verify
    add ah, [disk_op]
    push ss                     ; DS:SI = the packet
    pop ds
    mov si, sp
sector_call:
    mov dl, cs:[drive]          ; DL = the drive (DS may be SS here)
    int 0x13                    ; to the BIOS
    mov sp, di                  ; drop the packet, if any
    pop ds                      ; DS = 0
    pop si                      ; SI = the sector
    jnc sector_done             ; done
    mov [disk_status], ah       ; remember why
    xor ah, ah                  ; BIOS: reset the disk system
    int 0x13                    ; reset it before trying again
    dec byte ptr [tries]        ; one try fewer
    jnz sector_try              ; try again
    stc                         ; three failed
sector_done:
    ret

    .include "teletype.inc"

mark:
    .ascii EMBEDDED_MARK
boot_message:
    .ascii NO_HOST_LINE         ; the host sectors cannot be read
    .byte 13, 10, 8, 0          ; CR LF; a backspace, for a serial mirror (apm.inc); end
msg_no_apm:
    .ascii NO_APM_LINE
    .byte 13, 10, 0             ; CR LF, end
drive:      .byte 0             ; the boot drive (80h and up: a hard disk)
edd:        .byte 0             ; 1: the BIOS takes LBA packets
disk_op:    .byte 0             ; 2 read, 3 write
disk_status: .byte 0            ; the BIOS's last error
tries:      .byte 0             ; tries left
    .pad_to start, LINGER_OFFSET
linger:
    .byte 0                     ; seconds to show the verdict (build --linger)
    .word BOOT_SIGNATURE

    .include "host.asm"         ; sector 2 on: the host, at 0000:7E00
