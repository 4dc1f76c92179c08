; =============================================================================
; bare_poweroff.asm - the benchmark baseline: a boot sector that powers off
;
; cpu 8086. Loaded by the BIOS at 0000:7C00. It asks APM to switch the PC
; off at once, so a run of it measures QEMU's own start, BIOS and exit:
; the floor every boot-to-exit figure is compared with.
; Entry:   as the BIOS starts a boot sector (DL = boot drive)
; Output:  never returns; halts if APM refuses
; Affects: everything
; =============================================================================

start:
    mov ax, 0x5301              ; APM: connect real-mode interface
    xor bx, bx                  ; device 0: the APM BIOS
    int 0x15                    ; connect
    mov ax, 0x530e              ; APM: driver version
    xor bx, bx                  ; device 0: the APM BIOS
    mov cx, 0x0102              ; we speak APM 1.2
    int 0x15                    ; declare it
    mov ax, 0x5307              ; APM: set power state
    mov bx, 0x0001              ; device 1: all devices
    mov cx, 0x0003              ; state 3: off
    int 0x15                    ; off
halt:
    cli                         ; no APM: nothing may wake us
    hlt                         ; stop
    jmp halt                    ; and stay stopped
