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
;   3 creed, >= 1024 B  destroy (the file's code is never executed): its
;                       first 1023 bytes are zeroed, then the whole file is
;                       deleted
;   4 false teaching    destroy: as many zeros as it has bytes, never more
;                       (a write past its end would have DOS grow the file,
;                       and on a full disk come back short with it grown)
;   6 1023 zero bytes   the husk of a liturgy cut between its zeroing and
;                       its delete: destroy (zero again, delete)
;   1, 2                touch nothing
; Every verdict prints one line before it is acted on (say): 1 "No scripture
; here", 2 "Not a scripture: left untouched", 3 "Violation of the gap:
; destroyed unread", 4 "False teaching (invalid CHECK): destroyed unread"
; naming the first check that failed (size, parser, unique byte, zero run,
; checksum), 6 "Interrupted liturgy completed"; 0 gets the creed line and the
; instance byte. After a parser run it checks the file is gone. An I/O failure
; anywhere prints "I/O failure: STEP" and exits 5; a refused write leaves the
; file intact. The exit code is the verdict (see scripture.inc). The program
; obeys the creed too: it is smaller than 1024 bytes.
;
; Memory (one 64 KiB segment, CS = DS = ES = SS, as DOS starts a .COM):
;   0000-00FF  PSP; 0080 command tail length, 0081 its text
;   0100-....  this program (fewer than 1024 bytes)
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
.equ CR, 13                     ; carriage return
.equ LINE_MAX, 80               ; no string in a list is longer
.equ LF, 10                     ; line feed

; -----------------------------------------------------------------------------
; start - scratch memory cleared, INT 24h ours; then, falling through one
;         routine after another, take_path, read_file, judge, judged and act:
;         the liturgy from the command tail to the exit code
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

; -----------------------------------------------------------------------------
; take_path - the first word of the command tail, else SCRIPTUR.ALM, as the
;             ASCIIZ path at buffer + PATH_AREA
; Entry:   DS = ES = the PSP's segment, DF clear
; Output:  the path in place
; Affects: AX, CX, SI, DI
; -----------------------------------------------------------------------------
take_path:
    mov si, 0x80                ; DS:SI = command tail length in the PSP
    lodsb                       ; AL = length (DOS: at most 127), SI = 0x81
    cbw                         ; AX = length
    xchg cx, ax                 ; CX = characters left in the tail
    mov di, buffer + PATH_AREA  ; ES:DI = path buffer
    jmp tail_skip               ; start reading the tail
tail_default:
    mov si, default_name        ; tail was blank: DS:SI = "SCRIPTUR.ALM",0
    mov cl, SCRIPTURE_FILE_SIZE ; its length with the terminator (CX was 0)
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

; -----------------------------------------------------------------------------
; read_file - open the path read-only and read up to 1024 bytes into buffer
;             (a missing file is the verdict: judged, 1)
; Entry:   the path in place, the buffer zero-filled
; Output:  BX = bytes read (0..1024), BP = STEP_READ; an I/O failure exits 5
; Affects: AX, CX, DX
; -----------------------------------------------------------------------------
read_file:
    mov bp, STEP_OPEN           ; the step, should this fail
    mov dx, buffer + PATH_AREA  ; DS:DX = path
    mov ax, 0x3d00              ; DOS 3Dh: open, AL=0 read-only
    int 0x21                    ; judging needs read access only
    jnc opened                  ; opened: AX = handle
    cmp al, 4                   ; DOS errors 2, 3: file, path not found
    cmc                         ; CF set for any other error
    call check                  ; a real failure (e.g. a directory): exit 5
    mov ah, VERDICT_ABSENT      ; not found: no scripture
    jmp near judged             ; say so and exit
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

; -----------------------------------------------------------------------------
; judge - the finding on the bytes read, as scripture.finding() numbers it
; Entry:   BX = bytes read, the bytes at buffer (zeros after them)
; Output:  AH = the finding: the verdict, or for a false teaching's later
;          checks FOUND_* (4 is one too short); falls into judged
; Affects: AL, CX, DX, SI, DI
; -----------------------------------------------------------------------------
judge:
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
    mov ah, VERDICT_FOREIGN     ; (MOV keeps the flags)
    jne judged                  ; no creed: not a scripture, untouched
    cmp bx, dx                  ; creed: now the size
    mov ah, VERDICT_GAP         ; more than 1023 bytes
    ja judged                   ;   violates the gap
    mov ah, VERDICT_FALSE       ; from here on every fault is false:
    jb judged                   ;   fewer than 1023 bytes (size)
    mov cl, PARSER_SIZE         ; 42 bytes (CX was 0)
    repe cmpsb                  ; the parser equals our own copy?
    mov ah, FOUND_PARSER        ; (MOV keeps the flags)
    jne judged                  ; no: false (parser)
    lodsb                       ; AL = unique byte, SI = the zero run
    mov ah, FOUND_UNIQUE        ; in case it is zero
    test al, al                 ; 1..255 only
    jz judged                   ; zero: false (unique byte)
    mov di, si                  ; ES:DI = the zero run
    mov cx, ZEROS_SIZE          ; 971 bytes
    xor al, al                  ; compared with zero
    repe scasb                  ; stop at the first non-zero
    mov ah, FOUND_ZEROS
    jne judged                  ; something in the gap: false (zero run)
    mov si, buffer              ; DS:SI = the bytes
    mov cx, dx                  ; all 1023 of them
    xor dl, dl                  ; DL = running sum
judge_sum:
    lodsb                       ; AL = next byte
    add dl, al                  ; add it (mod 256); ZF = sum is zero
    loop judge_sum              ; LOOP keeps the flags
    mov ah, FOUND_CHECKSUM
    jnz judged                  ; sum not 0 mod 256: false (checksum)
    mov ah, VERDICT_COMPLETE    ; a true scripture

; -----------------------------------------------------------------------------
; judged - say the finding's line and turn it into the verdict: 1 and 2
;          exit at once, 0, 3, 4 and 6 fall into act
; Entry:   AH = the finding, BX = bytes read, BP = STEP_READ
; Output:  SI = the verdict, CX = the zeros destroy would write (the bytes
;          read, at most 1023)
; Affects: AX, DX, DI
; -----------------------------------------------------------------------------
judged:
    push ax                     ; AH = the finding (VERDICT_*, FOUND_*)
    mov dl, ah                  ; DL = it
    call say                    ; its line, before anything is done
    pop ax                      ; AH = what was found
    mov al, ah                  ; AL = it
    cmp al, FOUND_PARSER        ; one of a false teaching's later checks?
    jb judged_verdict           ; no: it is the verdict
    mov al, VERDICT_FALSE       ; yes: false teaching, 4
judged_verdict:
    cmp al, VERDICT_FOREIGN     ; 3, 4 or 6?
    ja judged_act               ; yes: destroy it
    test al, al                 ; 0, the liturgy?
    jz judged_act               ; yes: perform it
    jmp near finish             ; 1, 2: nothing to do; exit
judged_act:
    mov cx, SCRIPTURE_SIZE      ; CX = zeros for destroy: 1023,
    cmp bx, cx                  ;   unless the file has fewer bytes
    ja judged_count             ; (BX = bytes read, at most 1024)
    mov cx, bx                  ; a short file: one zero for each of its bytes
judged_count:
    cbw                         ; AX = verdict (0..6)
    xchg si, ax                 ; SI = verdict (kept across the reopen)

; -----------------------------------------------------------------------------
; act - reopen read/write; a true scripture's own parser runs (after the
;       creed and instance lines), anything else is destroyed unrun; then
;       the file must be gone
; Entry:   SI = the verdict (0, 3, 4, 6), CX = zeros for destroy, BP =
;          STEP_READ, the path at buffer + PATH_AREA
; Output:  exits with the verdict, or 5 naming the step that failed
; Affects: everything
; -----------------------------------------------------------------------------
act:
    inc bp                      ; BP = STEP_OPEN: a read-only file fails here
    mov dx, buffer + PATH_AREA  ; DS:DX = path
    mov ax, 0x3d02              ; DOS 3Dh: open, AL=2 read/write
    call dos                    ; AX = handle
    xchg bx, ax                 ; BX = handle
    push si                     ; keep the verdict for the exit code
    mov dx, destroy             ; DX = our own destruction
    test si, si                 ; a valid scripture?
    jnz perform                 ; no: destroy it, its code unrun
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
    call dx                     ; the parser or destroy: zero, close, delete
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
; destroy - the parser's four steps for a file whose own code never runs
; Entry:   as the parser (liturgy.asm), and CX = bytes to zero (1..1023)
; Output:  as the parser: CF clear, the file zeroed, closed, deleted, BP =
;          STEP_DELETE; CF set, BP = the step that failed, AX = error or count
; Affects: AX, DX, BP, flags
;
; Not the parser itself: after its write the parser sets CF from CMP AX, CX
; alone, reading a DOS error code in AX as a byte count. Against its 1023 no
; error code passes for a whole write; against a short file's count one can
; (a write-protected 8-byte file: error 13h >= 8), and the file would be
; deleted unzeroed with the verdict saying "destroyed". Here the write's own
; carry is checked first.
; -----------------------------------------------------------------------------
destroy:
    inc bp                      ; STEP_SEEK
    mov ax, 0x4200              ; DOS 42h: move file pointer, from the start
    cwd                         ; DX = 0, low word of the offset
    push cx                     ; keep the count
    xor cx, cx                  ; CX = 0, high word of the offset
    int 0x21                    ; to byte 0
    pop cx                      ; CX = the count (POP keeps the flags)
    jc destroy_done             ; refused: CF set, BP = STEP_SEEK
    inc bp                      ; STEP_WRITE
    mov dx, si                  ; DS:DX = the zeros
    mov ah, 0x40                ; DOS 40h: write to handle
    int 0x21                    ; zero the file's first CX bytes
    jc destroy_done             ; refused: CF set, AX = the error
    cmp ax, cx                  ; short (a full disk, a host's limit)?
    jc destroy_done             ; yes: CF set, AX = the count written
    inc bp                      ; STEP_CLOSE
    mov ah, 0x3e                ; DOS 3Eh: close handle BX
    int 0x21                    ; the zeros to the disk
    jc destroy_done             ; refused
    inc bp                      ; STEP_DELETE
    mov dx, di                  ; DS:DX = the path
    mov ah, 0x41                ; DOS 41h: delete file
    int 0x21                    ; gone (CF set if refused)
destroy_done:
    ret

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
; io_failure - say "I/O failure: STEP", close the file, exit 5
; Entry:   BP = STEP_* (1..6), BX = the file's handle if one is open
; Output:  does not return
; Affects: AX, CX, DX, DI, BP
;
; The close must happen here. After a refused write (a write-protected
; floppy) the kernel holds the file as modified; left open, it is closed by
; DOS at exit, after DOS has put the shell's INT 24h handler back, and that
; close's failed directory write stops FreeDOS at the shell's critical-error
; handler for good. Closed here, the failure meets our own handler (fail the
; call) and nothing is left to write. Measured under FreeDOS kernel 2040 in
; QEMU: with this close the floppy powers off by itself; with only a disk
; reset (DOS 0Dh) it still hangs. Closing an invalid BX just fails, and
; every other handle is closed at exit as before.
; -----------------------------------------------------------------------------
io_failure:
    mov dx, msg_io              ; "I/O failure: "
    call print
    mov di, step_names          ; ES:DI = the first step name
    mov dx, bp                  ; DL = the step, 1..6
    call nth                    ; ES:DI = its name
    mov dx, di                  ; DS:DX = the step name
    call print_line
    mov ah, 0x3e                ; DOS 3Eh: close handle BX, while our INT 24h
    int 0x21                    ;   still answers (any error is ignored)
    mov al, VERDICT_IO          ; exit code 5
    jmp finish                  ; exit

; -----------------------------------------------------------------------------
; nth - find the Nth of a list of $-terminated strings
; Entry:   ES:DI = the first string, DL = N (1 for the first)
; Output:  ES:DI = the Nth string
; Affects: AL, CX, DL, DI
; -----------------------------------------------------------------------------
nth:
    mov al, 0x24                ; '$' ends each string
nth_next:
    dec dl                      ; this one?
    jz nth_done                 ; yes: ES:DI points at it
    mov cx, LINE_MAX            ; no string is longer
    repne scasb                 ; skip past its '$'
    jmp nth_next                ; and count again
nth_done:
    ret

; -----------------------------------------------------------------------------
; say - print the judge's line, before the verdict is acted on
; Entry:   DL = the finding: VERDICT_* or FOUND_*; 0 (a true scripture,
;          whose creed and instance lines come later) says nothing
; Output:  one line printed
; Affects: AX, CX, DX, DI
; -----------------------------------------------------------------------------
say:
    test dl, dl                 ; a true scripture?
    jz nth_done                 ; yes: nothing now (a RET)
    mov di, said                ; ES:DI = the first of the judge's words
    push dx                     ; keep what was found
    call nth                    ; ES:DI = its words
    pop ax                      ; AL = what was found
    mov dx, di                  ; DS:DX = its words
    cmp al, VERDICT_FALSE       ; a false teaching, too short?
    je say_false                ; yes: name the check
    cmp al, FOUND_PARSER        ; a false teaching's later checks?
    jb print_line               ; no: the verdict's own line (and return)
say_false:
    push dx                     ; keep the check's name
    mov dx, msg_false           ; "False teaching (invalid "
    call print
    pop dx                      ; DS:DX = the check's name
    call print
    mov dx, msg_unread          ; "): destroyed unread", and fall into print_line

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
    .byte CREED_0, CREED_1, CREED_2, CREED_3, CREED_4, CREED_5, CREED_6, CREED_7
parser:                         ; our own copy of the parser, 42 bytes,
    .include "liturgy.asm"      ;   right after the creed, as in a scripture
default_name:
    .asciz SCRIPTURE_FILE       ; the path when none is given
msg_creed:
    .ascii CREED_LINE
    .byte CR, LF
    .ascii INSTANCE_PREFIX
unique_digits:
    .ascii "??"                 ; the unique byte in hex, filled in
msg_crlf:
    .byte CR, LF, 0x24          ; CR LF $ (also ends print_line's lines)
step_names:                     ; STEP_* 1..6, each ended by '$'
    .ascii STEP_WORDS
msg_io:
    .ascii IO_PREFIX, "$"
said:                           ; the judge's words by finding, 1 on (5, an I/O
    .ascii JUDGE_WORDS          ;   failure, is empty: io_failure speaks for it)
msg_false:
    .ascii FALSE_PREFIX, "$"
msg_unread:
    .ascii FALSE_SUFFIX, "$"
buffer:                         ; end of the program: scratch memory follows
