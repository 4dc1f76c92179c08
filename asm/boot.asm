; =============================================================================
; boot.asm - the self-booting Almostism floppy: boot sector, then the host
;
; cpu 8086 (an 8088 PC with any floppy drive the BIOS knows)
;
; One program, assembled at 0000:7C00: its first 512 bytes are the boot
; sector, the rest is the host (host.asm), stored in the reserved sectors
; right after the boot sector and loaded right behind it, at 0000:7E00.
; The boot sector's spare bytes hold routines the host calls: disk, print,
; putc, find_entry, cluster_sector, fat_next and apm_off; the boot half
; itself calls only print (and reads the host with INT 13h directly).
;
; The BIOS loads the boot sector to 0000:7C00 (some enter at 07C0:0000: the
; first jump makes CS = 0). Bytes 3..61 hold the OEM name and the BPB,
; written by the builder for the floppy's size. The host takes the BPB's
; reserved sectors minus one, all on cylinder 0, head 0: they are read in
; one INT 13h call (three tries with a controller reset between, as DOS
; does), then the host runs.
;
; Memory:  0000:7C00 boot sector (its BPB stays readable), 0000:7E00 host,
;          stack below 0000:7C00 (see host.asm for the rest)
; Entry:   as the BIOS starts a boot sector: DL = boot drive
; Output:  runs the host with DL = boot drive, CS = DS = ES = SS = 0; on a
;          disk error prints a message and halts
; Affects: everything
; =============================================================================

.equ HOST_LOAD, 0x7e00          ; where the host sectors go
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
    mov si, 3                   ; three tries
boot_read:
    mov ax, [BPB_RESERVED_SECTORS] ; AX = reserved sectors
    dec ax                      ; AL = host sectors (all but this one)
    mov ah, 0x02                ; BIOS: read sectors
    mov cx, 0x0002              ; cylinder 0, sector 2
    xor dh, dh                  ; head 0 (DL = boot drive, from the BIOS)
    mov bx, HOST_LOAD           ; ES:BX = 0000:7E00
    int 0x13                    ; read the host
    jnc boot_loaded             ; done
    xor ah, ah                  ; BIOS: reset the disk system
    int 0x13                    ; recalibrate before trying again
    dec si                      ; one try fewer
    jnz boot_read               ; try again
    mov si, boot_message        ; DS:SI = the message
    call print                  ; say it
halt:
    cli                         ; nothing may wake us
    hlt                         ; stop
    jmp halt                    ; and stay stopped
boot_loaded:
    jmp near host               ; run the host

; -----------------------------------------------------------------------------
; disk - one sector through INT 13h: three tries with a reset between, then
;        INT 24h decides (retry, ignore, or fail)
; Entry:   AX = sector (LBA), ES:BX = buffer, [disk_op] = 2 read, 3 write
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
    mov byte ptr [tries], 3     ; three tries
disk_try:
    mov ax, si                  ; AX = the sector
    xor dx, dx                  ; DX:AX = it
    div word ptr [BPB_SECTORS_PER_TRACK] ; AX = track, DX = sector in the track
    mov cl, dl                  ; CL = sector number, from 1
    inc cl                      ; CL = sector number, counted from 1
    xor dx, dx                  ; DX:AX = track
    div word ptr [BPB_HEADS]    ; AX = cylinder, DX = head
    mov ch, al                  ; CH = cylinder (floppies have < 256)
    mov dh, dl                  ; DH = head
    mov dl, [drive]             ; DL = drive
    mov ah, [disk_op]           ; AH = read or write
    mov al, 1                   ; one sector
    int 0x13                    ; to the BIOS
    jnc disk_ok                 ; done
    mov [disk_status], ah       ; remember why
    xor ah, ah                  ; BIOS: reset the disk system
    int 0x13                    ; reset it before trying again
    dec byte ptr [tries]        ; one try fewer
    jnz disk_try                ; try again

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
; print - print an ASCIIZ string through the BIOS
; putc  - print AL through the BIOS (SeaBIOS mirrors it to the serial port)
; Entry:   print: DS:SI = the string; putc: AL = the character
; Output:  none
; Affects: print: AX, SI, flags; putc: nothing
; -----------------------------------------------------------------------------
print:
    lodsb                       ; AL = next character
    test al, al                 ; the end?
    jz print_done               ; yes
    call putc                   ; print it
    jmp print                   ; next character
print_done:
    ret
putc:
    push ax                     ; keep AX, BX
    push bx
    mov ah, 0x0e                ; BIOS: teletype output
    mov bx, 0x0007              ; page 0, grey
    int 0x10                    ; print it
    pop bx                      ; restore BX, AX
    pop ax
    ret

; -----------------------------------------------------------------------------
; find_entry - find fcb_name in the root directory
; Entry:   fcb_name; DS = 0
; Output:  CF clear: SI = the entry in SECTOR_BUFFER, [found_lba] = sector;
;          CF set: AX = 2 (not found) or a disk error code
; Affects: AX, CX, SI, DI, ES, flags
; -----------------------------------------------------------------------------
find_entry:
    push ds                     ; ES = 0
    pop es
    mov ax, [root_start]        ; AX = first root sector
    mov cx, [root_sectors]      ; CX = how many
find_sector:
    call read_buffer            ; the sector into the buffer
    jc find_error               ; cannot read it
    mov [found_lba], ax         ; remember which
    mov si, SECTOR_BUFFER       ; SI = its first entry
find_next:
    cmp byte ptr [si], 0        ; the end of the directory?
    je find_none                ; yes: not there
    test byte ptr [si + DIR_ATTRIBUTES], ATTR_VOLUME ; a label or a long-name piece?
    jnz find_skip               ; never a file
    push si                     ; compare the 11-byte name
    push cx
    mov di, fcb_name            ; ES:DI = the wanted name
    mov cx, DIR_NAME_SIZE       ; CX = 11 bytes of an 8.3 name
    repe cmpsb                  ; equal?
    pop cx
    pop si
    je find_found               ; yes
find_skip:
    add si, 32                  ; next entry
    cmp si, SECTOR_BUFFER + SECTOR_SIZE ; past this sector?
    jb find_next
    inc ax                      ; next sector
    loop find_sector            ; the whole root
find_none:
    mov ax, 2                   ; error 2: file not found
    stc                         ; CF set: not found
find_error:
    ret                         ; CF set
find_found:
    clc                         ; found
    ret

; -----------------------------------------------------------------------------
; cluster_sector - the first sector (LBA) of a data cluster
; Entry:   AX = cluster (2..max)
; Output:  AX = sector
; Affects: AX, flags
; -----------------------------------------------------------------------------
cluster_sector:
    push cx                     ; keep CX, DX
    push dx
    sub ax, FIRST_CLUSTER       ; clusters start at 2
    mov cl, [BPB_SECTORS_PER_CLUSTER] ; CX = sectors in a cluster
    xor ch, ch                  ; CX = sectors in a cluster
    mul cx                      ; AX = sectors before it
    add ax, [data_start]        ; after the root directory
    pop dx                      ; restore DX, CX
    pop cx
    ret

; -----------------------------------------------------------------------------
; fat_next - read a FAT12 entry
; Entry:   AX = cluster
; Output:  AX = its entry (the next cluster, or FF8h..FFFh at the end)
; Affects: AX, BX, flags
; -----------------------------------------------------------------------------
fat_next:
    push cx                     ; keep CX
    mov bx, ax                  ; BX = cluster * 3 / 2: where the
    shr bx, 1                   ;   12 bits start
    add bx, ax                  ; BX = cluster + cluster / 2
    test al, 1                  ; odd cluster?
    mov ax, [bx + FAT_BUFFER]   ; AX = the 16 bits holding it
    jz fat_next_even            ; even: the low 12 bits
    mov cl, 4                   ; odd: the high 12 bits
    shr ax, cl                  ; AX = the high 12 bits
    pop cx                      ; restore CX
    ret
fat_next_even:
    and ax, 0x0fff              ; the low 12 bits
    pop cx                      ; restore CX
    ret

    .include "apm.inc"

mark:
    .ascii EMBEDDED_MARK
boot_message:
    .ascii "No host"            ; the host sectors cannot be read
    .byte 13, 10, 0             ; CR LF, end
msg_remove:
    .ascii NO_APM_LINE
    .byte 13, 10, 0             ; CR LF, end
    .pad_to start, SIGNATURE_OFFSET
    .word BOOT_SIGNATURE

    .include "host.asm"         ; sector 2 on: the host, at 0000:7E00
