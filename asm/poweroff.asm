; =============================================================================
; poweroff.asm - POWEROFF.COM: switch the PC off through APM, or halt
;
; cpu 8086 (an 8088 without APM gets the message and the halt)
;
; Run last by AUTOEXEC.BAT, with the seconds to keep the verdict on the
; screen as its command tail (build --linger; none: 0). It asks the BIOS
; for APM (INT 15h AH=53h), counts down those seconds (a key ends the
; countdown), connects the real-mode interface, declares APM 1.2 and sets
; the power state of all devices to "off". QEMU exits when the guest powers off,
; which is how a boot test knows the machine is done. A PC without APM
; (or one that refuses) prints that the PC may be switched off and halts
; with interrupts off: there is nothing left to do.
;
; Memory:  a .COM program; uses only its own segment and the stack DOS gave
; Entry:   as DOS starts a .COM (CS = DS = ES = SS)
; Output:  never returns to DOS
; Affects: everything
; =============================================================================

start:
    mov si, 0x81                ; DS:SI = the command tail, after its length
    xor bp, bp                  ; no countdown unless the tail asks for one
tail_blank:
    lodsb                       ; AL = next character
    cmp al, 0x20                ; a blank before the number?
    je tail_blank
tail_digit:
    sub al, 0x30                ; AL = a digit's value
    cmp al, 9                   ; a digit?
    ja tail_done                ; no: the number (if any) has ended
    cbw                         ; AX = the digit
    xchg ax, bp                 ; AX = the number so far, BP = the digit
    mov bl, 10
    mul bl                      ; AX = the number so far, times ten
    add bp, ax                  ; BP = the number with this digit
    lodsb                       ; the next character
    cmp bp, LONGEST_LINGER      ; more than a countdown shows?
    jbe tail_digit
    mov bp, LONGEST_LINGER      ; as long as it shows
tail_done:
    call apm_off                ; off, if the PC has APM
    mov dx, message             ; no APM: DS:DX = the message
    mov ah, 0x09                ; DOS 09h: print $-terminated string
    int 0x21                    ; say it
halt:
    cli                         ; no interrupts: nothing may wake us
    hlt                         ; stop the CPU
    jmp halt                    ; an NMI woke it: stop again

    .include "teletype.inc"
    .include "apm.inc"
    .include "floppy.inc"

message:
    .ascii NO_APM_LINE
    .byte 13, 10, 0x24          ; CR LF $
