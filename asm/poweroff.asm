; =============================================================================
; poweroff.asm - POWEROFF.COM: switch the PC off through APM, or halt
;
; cpu 8086 (an 8088 without APM gets the message and the halt)
;
; Run last by AUTOEXEC.BAT. It asks the BIOS for APM (INT 15h AH=53h),
; connects the real-mode interface, declares APM 1.2 and sets the power
; state of all devices to "off". QEMU exits when the guest powers off,
; which is how a boot test knows the machine is done. A PC without APM
; (or one that refuses) prints that the floppy may be removed and halts
; with interrupts off: there is nothing left to do.
;
; Memory:  a .COM program; uses only its own segment and the stack DOS gave
; Entry:   as DOS starts a .COM (CS = DS = ES = SS)
; Output:  never returns to DOS
; Affects: everything
; =============================================================================

start:
    mov ax, 0x5300              ; APM: installation check
    xor bx, bx                  ; device 0: the APM BIOS
    int 0x15                    ; CF set: no APM
    jc no_apm                   ; none: just halt
    mov ax, 0x5301              ; APM: connect real-mode interface
    xor bx, bx                  ; device 0: the APM BIOS
    int 0x15                    ; (an "already connected" error is harmless)
    mov ax, 0x530e              ; APM: driver version
    xor bx, bx                  ; device 0: the APM BIOS
    mov cx, 0x0102              ; we speak APM 1.2
    int 0x15                    ; some BIOSes need this before 5307h
    mov ax, 0x5307              ; APM: set power state
    mov bx, 0x0001              ; device 1: all devices
    mov cx, 0x0003              ; state 3: off
    int 0x15                    ; the machine is off: no return
no_apm:
    mov dx, message             ; DS:DX = the message
    mov ah, 0x09                ; DOS 09h: print $-terminated string
    int 0x21                    ; say it
halt:
    cli                         ; no interrupts: nothing may wake us
    hlt                         ; stop the CPU
    jmp halt                    ; an NMI woke it: stop again

message:
    .ascii "The liturgy is over; the floppy may be removed." ; no APM here
    .byte 13, 10, 0x24          ; CR LF $
