; =============================================================================
; bios_call_loop.asm - a boot sector that calls one BIOS service CALLS times,
; then powers off: what one call costs is (its time - the bare boot's) / CALLS
;
; cpu 8086. Loaded by the BIOS at 0000:7C00. bios_call.inc (written by
; bench/bios_calls.py) defines CALLS, SERVICE (the interrupt) and REQUEST (AX).
; Entry:   as the BIOS starts a boot sector (DL = boot drive)
; Output:  never returns; switches off as bare_poweroff.asm does
; Affects: everything
; =============================================================================

.include "bios_call.inc"

calls:
    mov cx, CALLS               ; the loop's count
call_once:
    push cx                     ; (a BIOS may use CX)
    mov ax, REQUEST             ; the function (AH) and its argument (AL)
    xor bx, bx                  ; page 0, for the video services
    int SERVICE                 ; the call being measured
    pop cx
    loop call_once              ; CALLS times

.include "bare_poweroff.asm"
