; =============================================================================
; mbr.asm - the master boot record of an Almostism hard-disk image
;
; cpu 8086 (an 8088 PC with a hard disk the BIOS boots: an XT-IDE or CF
; card, a USB stick on a later PC)
;
; The BIOS loads sector 0 of the disk to 0000:7C00 and runs it with DL = the
; drive. This code moves itself to 0000:0600, so that the partition's own
; boot sector can go where every boot sector expects to be; finds the one
; active partition in the table at byte 446 (written by the builder); reads
; that partition's first sector to 0000:7C00 (by LBA through the EDD packet
; call where the BIOS has it, else by the entry's cylinder/head/sector;
; three tries with a reset between) and runs it as the BIOS would have: DL =
; the drive, and DS:SI = the partition's entry, as DOS's MBR passes it.
; What goes wrong is said in words, then the PC halts.
;
; Memory:  0000:0600 this code, moved; 0000:7C00 the partition's boot sector;
;          stack below 0000:7C00
; Entry:   as the BIOS starts a boot sector: DL = boot drive
; Output:  runs the active partition's boot sector with CS = DS = ES = SS =
;          0, DL = the drive, SI = its entry; or prints why not and halts
; Affects: everything
; =============================================================================

    .include "fat12.inc"
    .include "partition.inc"
.equ LOADED, 0x7c00             ; where the BIOS put us, and where the partition's boot sector goes

start:
    cli                         ; no interrupts while the stack moves
    xor ax, ax                  ; AX = 0
    mov ss, ax                  ; SS = 0
    mov sp, LOADED              ; stack below 7C00
    mov ds, ax                  ; DS = ES = 0
    mov es, ax
    sti                         ; interrupts back on
    cld                         ; string instructions count upward

; --- Move the sector to 0000:0600 and go on there --------------------------
    mov si, LOADED              ; DS:SI = this sector, as the BIOS loaded it
    mov di, MBR_ORIGIN          ; ES:DI = where it runs
    mov cx, SECTOR_SIZE / 2     ; a sector, in words
    rep movsw
    jmp far 0:moved             ; CS:IP = 0000:06xx

; --- Find the one active partition: BP = its entry --------------------------
moved:
    mov [drive], dl             ; the drive, for every BIOS call
    mov si, MBR_ORIGIN + PARTITION_TABLE ; SI = the first entry, moved
    mov cx, PARTITION_COUNT     ; four entries
    xor bp, bp                  ; none found yet
find_active:
    mov al, [si + PART_STATUS]  ; AL = the entry's status
    test al, al                 ; inactive?
    jz find_next
    cmp al, PARTITION_ACTIVE    ; active, or no valid status at all?
    jne bad_table
    test bp, bp                 ; a second active one?
    jnz bad_table
    mov bp, si                  ; BP = the active entry
find_next:
    add si, PARTITION_ENTRY     ; the next entry
    loop find_active
    test bp, bp                 ; one found?
    jnz check_edd
    mov si, msg_no_active       ; DS:SI = "no active partition"
    jmp say                     ; say it, stop
bad_table:
    mov si, msg_bad_table       ; "the partition table is broken"
    jmp say

; --- Does the BIOS have the EDD packet calls? --------------------------------
check_edd:
    mov ah, 0x41                ; EDD: installation check
    mov bx, 0x55aa
    int 0x13
    jc read_boot_sector         ; no EDD: by cylinder, head and sector
    cmp bx, 0xaa55              ; answered by an EDD BIOS?
    jne read_boot_sector
    and cl, 1                   ; bit 0: the packet calls 42h and 43h
    mov [edd], cl

; --- Read the partition's first sector to 0000:7C00, three tries -----------
read_boot_sector:
    mov di, 3                   ; three tries
read_try:
    mov bx, LOADED              ; ES:BX = 0000:7C00
    mov dl, [drive]             ; DL = the drive
    cmp byte ptr [edd], 0       ; LBA?
    je read_chs

; --- An EDD packet on the stack: size 16, one sector, ES:BX, the LBA -------
    xor ax, ax                  ; LBA bits 32-63 = 0
    push ax
    push ax
    push word ptr [bp + PART_FIRST_LBA + 2] ; LBA bits 16-31
    push word ptr [bp + PART_FIRST_LBA]     ; LBA bits 0-15
    push ax                     ; the buffer: segment 0,
    push bx                     ;   offset 7C00
    inc ax                      ; one sector
    push ax
    mov al, 0x10                ; the packet's size
    push ax
    mov si, sp                  ; DS:SI = the packet
    mov ah, 0x42                ; EDD: extended read
    int 0x13
    mov sp, LOADED              ; drop the packet (the flags stay)
    jmp read_done

; --- The entry's own cylinder/head/sector ------------------------------------
read_chs:
    mov dh, [bp + PART_FIRST_CHS] ; DH = head
    mov cx, [bp + PART_FIRST_CHS + 1] ; CL = sector, cylinder bits 8-9; CH = cylinder bits 0-7
    mov ax, 0x0201              ; BIOS: read one sector
    int 0x13
read_done:
    jnc loaded                  ; read
    xor ah, ah                  ; BIOS: reset the disk system
    int 0x13
    dec di                      ; one try fewer
    jnz read_try
    mov si, msg_disk_error      ; "cannot read the boot sector"
    jmp say

; --- Run it, as the BIOS runs a boot sector ----------------------------------
loaded:
    mov si, msg_no_system       ; "no boot sector on the active partition"
    cmp word ptr [LOADED + SIGNATURE_OFFSET], BOOT_SIGNATURE
    jne say                     ; nothing that can boot
    mov si, bp                  ; DS:SI = its entry
    mov dl, [drive]             ; DL = the drive
    jmp far 0:LOADED            ; run it

; -----------------------------------------------------------------------------
; say - print an ASCIIZ message through the BIOS, then halt
; Entry:   DS:SI = the message
; Output:  never returns
; Affects: everything
; -----------------------------------------------------------------------------
say:
    lodsb                       ; AL = next character
    test al, al                 ; the end?
    jz halt
    mov ah, 0x0e                ; BIOS: teletype output
    mov bx, 0x0007              ; page 0, grey
    int 0x10
    jmp say                     ; next character
halt:
    cli                         ; nothing may wake us
    hlt
    jmp halt                    ; and stay stopped

msg_no_active:
    .ascii MBR_NO_ACTIVE_LINE
    .byte 13, 10, 8, 0          ; CR LF; a backspace, for a serial mirror (apm.inc); end
msg_bad_table:
    .ascii MBR_BAD_TABLE_LINE
    .byte 13, 10, 8, 0
msg_disk_error:
    .ascii MBR_DISK_ERROR_LINE
    .byte 13, 10, 8, 0
msg_no_system:
    .ascii MBR_NO_SYSTEM_LINE
    .byte 13, 10, 8, 0
drive:  .byte 0                 ; the boot drive
edd:    .byte 0                 ; 1: the BIOS takes LBA packets
