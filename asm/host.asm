; =============================================================================
; host.asm - the resident host of the self-booting Almostism floppy
;
; cpu 8086 (runs on an 8088; BIOS services only: INT 10h, 13h, 15h, and for
; the --linger countdown 16h and 1Ah)
;
; Part of boot.asm's program (included after the boot signature): loaded
; from the reserved sectors to 0000:7E00, right behind the boot sector,
; whose routines it calls (disk, print, putc). It gives ALMOST.COM
; exactly the DOS it calls, on the FAT12 volume it booted from (a floppy,
; or a disk the BIOS boots):
;   INT 20h, and INT 21h functions 09h 25h 3Dh 3Eh 3Fh 40h 41h 42h 4Ch,
;   with DOS's conventions: CF clear on success, CF set and AX = error
;   code on failure; anything else returns CF set, AX = 1.
; Files are in the root directory only (a path naming a directory gets
; error 3). Reads and writes go through one sector buffer; writes stay
; inside the file (past its end a write comes back short, as on a full
; disk: no file changes size here, so close has nothing to record), and a
; zero-byte write (truncation) is unsupported (AX = 1).
; Delete marks the entry E5h, then frees the chain in every FAT copy.
; Disk errors are retried three times with a reset, then reported through
; INT 24h (the program's handler, if it installed one, else ours: "fail");
; a write-protected floppy (INT 13h status 03h) thus fails the write.
; After ALMOST.COM exits it prints "ALMOSTISM RESULT errorlevel=N" and
; powers off by APM; without APM it says the PC may be switched off, halts.
;
; Memory (all in segment 0 but the program):
;   0000:0400  BIOS data
;   0000:1800  FAT buffer (<= 12 sectors)     0000:3000  sector buffer
;   0000:7C00  boot sector (BPB, shared routines); host stack below it
;   0000:7E00  this host
;   1000:0000  PSP of ALMOST.COM, its code at 1000:0100, stack 1000:FFFE
; Register contract of the INT 21h handler: registers as DOS preserves them
; (all but AX and those a function returns); DS = 0 inside it, the
; caller's DS and ES are read from its stack frame (BP).
; =============================================================================

.equ FAT_BUFFER, 0x1800         ; the first FAT, whole (FAT12: 12 sectors at most)
.equ SECTOR_BUFFER, 0x3000      ; one sector of the root or of a file
.equ HANDLE, 5                  ; the one file handle we hand out
.equ FRAME_DX, 4                ; the caller's DX and DS in the INT 21h
.equ FRAME_DS, 12               ;   frame (offsets from BP)

; -----------------------------------------------------------------------------
; host - the volume's geometry from the BPB; then, falling through one
;        routine after another, install_vectors, load_fat, load_program and
;        run_program: ALMOST.COM runs, and its exit continues at program_exit
; Entry:   DS = ES = SS = 0, CS = 0 (from boot.asm)
; Output:  fat_start, root_start, root_sectors, data_start, max_cluster set
; Affects: AX, BX, CX, DX
; -----------------------------------------------------------------------------
host:
    mov ax, [BPB_RESERVED_SECTORS] ; the first FAT follows the reserved sectors
    mov [fat_start], ax
    mov al, [BPB_FAT_COUNT]     ; AL = number of FATs
    cbw                         ; AX = it
    mul word ptr [BPB_SECTORS_PER_FAT] ; AX = sectors in all FATs
    add ax, [fat_start]         ; AX = first root sector
    mov [root_start], ax
    mov bx, [BPB_ROOT_ENTRIES]  ; BX = root entries
    mov cl, 4                   ; 16 entries a sector
    shr bx, cl                  ; BX = root sectors
    mov [root_sectors], bx
    add ax, bx                  ; AX = first data sector (cluster 2)
    mov [data_start], ax
    mov bx, ax                  ; BX = it
    mov ax, [BPB_TOTAL_SECTORS_16] ; AX = total sectors
    sub ax, bx                  ; AX = data sectors
    xor dx, dx                  ; DX:AX = data sectors
    mov cl, [BPB_SECTORS_PER_CLUSTER] ; CL = sectors per cluster
    xor ch, ch                  ; CX = it
    div cx                      ; AX = clusters
    inc ax                      ; AX = the highest cluster number
    mov [max_cluster], ax

; -----------------------------------------------------------------------------
; install_vectors - INT 20h to 24h point at the host's handlers, in segment 0
; Entry:   DS = ES = 0
; Output:  the five vectors set
; Affects: AX, CX, SI, DI
; -----------------------------------------------------------------------------
install_vectors:
    mov si, handlers            ; DS:SI = the offsets, INT 20h first
    mov di, 0x20 * 4            ; ES:DI = INT 20h's vector
    mov cx, 5                   ; INT 20h, 21h, 22h, 23h, 24h
install_vector:
    movsw                       ; the offset
    xor ax, ax                  ; the segment: 0
    stosw
    loop install_vector

; -----------------------------------------------------------------------------
; load_fat - the first FAT, whole, into FAT_BUFFER
; Entry:   fat_start set, ES = 0
; Output:  FAT_BUFFER filled; a disk error ends at host_disk_error
; Affects: AX, BX, CX
; -----------------------------------------------------------------------------
load_fat:
    mov ax, [fat_start]         ; AX = first FAT sector
    mov cx, [BPB_SECTORS_PER_FAT] ; CX = its sectors
    mov bx, FAT_BUFFER          ; ES:BX = where the FAT goes
    mov byte ptr [disk_op], 2   ; reading, from here to the program's start
    call sectors                ; the whole FAT
    jc host_disk_error          ; cannot read the disk

; -----------------------------------------------------------------------------
; load_program - find ALMOST.COM in the root and load its chain at
;                PROGRAM_SEGMENT:0100
; Entry:   the FAT loaded, DS = ES = 0
; Output:  ES = PROGRAM_SEGMENT, the program in memory; no program (or a
;          broken chain) ends at host_no_program, a disk error at
;          host_disk_error
; Affects: AX, BX, CX, SI, DI
; -----------------------------------------------------------------------------
load_program:
    mov si, program_name        ; DS:SI = "ALMOST  COM"
    mov di, fcb_name            ; ES:DI = the name we search for
    mov cx, DIR_NAME_SIZE       ; 8 + 3 characters
    rep movsb                   ; copy it
    call find_entry             ; SI = its directory entry
    jc host_no_program          ; not on this floppy
    mov ax, [si + DIR_FIRST_CLUSTER] ; AX = its first cluster
    mov bx, PROGRAM_SEGMENT     ; ES = the program's segment
    mov es, bx                  ; ES = PROGRAM_SEGMENT
    mov bx, 0x0100              ; ES:BX = where a .COM program starts
host_cluster:
    cmp ax, FIRST_CLUSTER       ; a data cluster?
    jb host_loaded              ; no: the chain has ended
    cmp ax, [max_cluster]       ; inside the volume?
    ja host_loaded              ; no: the chain has ended
    cmp bx, 0xf000              ; room left in the segment?
    jae host_loaded             ; no: a .COM is never this big
    push ax                     ; keep the cluster
    call cluster_sector         ; AX = its first sector
    mov cl, [BPB_SECTORS_PER_CLUSTER] ; CX = sectors in a cluster
    xor ch, ch
    call sectors                ; the whole cluster
    jc host_disk_error          ; cannot read the disk
    pop ax                      ; AX = the cluster
    push bx                     ; fat_next uses BX
    call fat_next               ; AX = the next cluster
    pop bx                      ; BX = where the next one goes
    jmp host_cluster            ; and load it
host_loaded:
    cmp bx, 0x0100              ; did anything load?
    je host_no_program          ; no: a broken chain is no program

; -----------------------------------------------------------------------------
; run_program - a PSP as DOS makes one, the program's own stack, and a far
;               return into it, as DOS starts a .COM
; Entry:   ES = PROGRAM_SEGMENT, the program loaded at ES:0100
; Output:  never returns: the program's exit reaches program_exit
; Affects: everything
; -----------------------------------------------------------------------------
run_program:
    mov word ptr es:[0x00], 0x20cd ; PSP: INT 20h, where RET lands
    mov byte ptr es:[0x80], 0   ; an empty command tail
    mov byte ptr es:[0x81], 13  ;   ended by CR
    mov [host_sp], sp           ; our stack, for when the program ends
    mov ax, es                  ; AX = the program's segment
    cli                         ; no interrupts while the stack moves
    mov ss, ax                  ; SS = it
    mov sp, 0xfffe              ; SP = the top, as DOS does
    sti                         ; interrupts back on
    mov ds, ax                  ; DS = it
    xor bx, bx                  ; BX = 0
    push bx                     ; RET from the program goes to PSP:0000
    push ax                     ; the program's segment
    mov bx, 0x0100              ; and its entry point
    push bx                     ;   on the stack
    retf                        ; run ALMOST.COM
host_no_program:
    mov si, msg_no_program      ; "no ALMOST.COM"
    jmp host_fail               ; say it, stop
host_disk_error:
    mov si, msg_disk_error      ; "disk error"
host_fail:
    call print                  ; say why
    jmp power_off               ; and stop the machine

; -----------------------------------------------------------------------------
; program_exit - after ALMOST.COM: print the result line, power off
; Entry:   AL = exit code, DS = 0 (any stack)
; Output:  never returns
; Affects: everything
; -----------------------------------------------------------------------------
program_exit:
    cli                         ; no interrupts while the stack moves
    xor bx, bx                  ; BX = 0
    mov ss, bx                  ; back to our stack
    mov sp, [host_sp]           ; SP = the host's stack pointer, saved at start
    sti                         ; interrupts back on
    push ax                     ; keep the code
    mov si, msg_result          ; "ALMOSTISM RESULT errorlevel="
    call print
    pop ax                      ; AL = the code
    xor ah, ah                  ; AX = it
    mov bx, 10                  ; decimal
    xor cx, cx                  ; CX = digits pushed
exit_digit:
    xor dx, dx                  ; DX:AX = what is left
    div bx                      ; AX = quotient, DX = last digit
    push dx                     ; keep the digit
    inc cx                      ; one more
    test ax, ax                 ; more digits?
    jnz exit_digit
exit_print:
    pop ax                      ; AL = a digit, most significant first
    add al, 0x30                ; to ASCII
    call putc
    loop exit_print             ; every digit
    mov si, msg_crlf            ; end the line
    call print
power_off:
    mov al, [linger]            ; BP = the seconds to show the screen first
    cbw                         ;   (build --linger: 0..99)
    xchg bp, ax
    call apm_off                ; off, where the PC has APM
    mov si, msg_no_apm          ; no APM: the PC may be switched off
    call print
    jmp near halt               ; and stop (boot.asm)

; -----------------------------------------------------------------------------
; int20 - INT 20h: terminate with exit code 0
; int23 - INT 23h: Ctrl-Break is ignored
; int24 - INT 24h default: fail the call
; Entry:   as the CPU enters an interrupt handler
; Output:  int20 never returns; int23 returns; int24 AL = 3
; Affects: int20 everything; int24 AL
; -----------------------------------------------------------------------------
int20:
    push cs                     ; DS = 0
    pop ds
    xor al, al                  ; exit code 0
    jmp program_exit
int23:
    iret                        ; ignore Ctrl-Break
int24:
    mov al, 3                   ; fail the call
    iret                        ; back to the host

; -----------------------------------------------------------------------------
; int21 - INT 21h: dispatch a DOS function
; Entry:   AH = function, other registers as the function wants
; Output:  CF clear and results, or CF set and AX = DOS error code
; Affects: AX and what the function returns
; -----------------------------------------------------------------------------
int21:
    sti                         ; DOS runs with interrupts on
    cld                         ; string instructions count upward
    push es                     ; the caller's registers: a frame at BP
    push ds
    push bp
    push di
    push si
    push dx
    push cx
    push bx
    mov bp, sp                  ; BP = the frame
    push cs                     ; DS = 0: our data
    pop ds
    mov si, functions           ; DS:SI = the function table
int21_find:
    cmp [si], ah                ; this function?
    je int21_found
    add si, 3                   ; next entry
    cmp si, functions_end       ; past the last?
    jb int21_find               ; no: keep looking
    jmp near unsupported        ; not one of ours
int21_found:
    jmp word ptr [si + 1]       ; to the function

; -----------------------------------------------------------------------------
; ok, fail, leave - the ways out of a function of int21
; fail_if_carry   - inside a function: fail the call if the last step failed
; Entry:   ok: nothing; fail: AX = error code; leave: CF as it should be
;          returned; fail_if_carry (called): CF set and AX = error code, or
;          CF clear. All with int21's frame at BP.
; Output:  the caller's registers restored from the frame, back from the
;          interrupt with CF; fail_if_carry with CF clear returns instead
; Affects: AX as the function left it
; -----------------------------------------------------------------------------
ok:
    clc
    jmp leave
fail_if_carry:
    jnc carry_on
fail:
    stc                         ; AX = the error code
leave:
    mov sp, bp                  ; drop whatever a function left
    pop bx                      ; the caller's registers
    pop cx
    pop dx
    pop si
    pop di
    pop bp
    pop ds
    pop es
    retf 2                      ; return, keeping CF (not the saved flags)
carry_on:
    ret                         ; to the function that called fail_if_carry

fn_print_string:                ; 09h: print DS:DX up to '$'
    mov es, [bp + FRAME_DS]     ; ES = the caller's DS
    mov si, dx                  ; ES:SI = the string
print_string_next:
    mov al, es:[si]             ; AL = next character
    inc si                      ; past it
    cmp al, 0x24                ; '$', the end of the string?
    je print_string_done        ; the end
    call putc
    jmp print_string_next       ; next one
print_string_done:
    jmp ok                      ; AL = '$', as DOS returns

fn_set_vector:                  ; 25h: vector AL = DS:DX
    mov bl, al                  ; BX = vector number
    xor bh, bh                  ; BX = vector number
    shl bx, 1                   ; times 4: its place in the table
    shl bx, 1                   ; times 4 (two shifts)
    mov [bx], dx                ; offset
    mov ax, [bp + FRAME_DS]     ; AX = the caller's DS
    mov [bx + 2], ax            ; segment
    jmp ok

fn_exit:                        ; 4Ch: exit with code AL
    jmp near program_exit       ; done (DS = 0)

fn_open:                        ; 3Dh: open DS:DX, AL = mode
    cmp byte ptr [handle_open], 0 ; our one handle taken?
    je open_free
    mov ax, 4                   ; error 4: too many open files
    jmp fail                    ; fail with it
open_free:
    and al, 7                   ; the access mode
    cmp al, 2                   ; read, write or both?
    ja open_invalid             ; none of those
    mov [open_mode], al
    call parse_name             ; fcb_name = the name
    jc fail                     ; a path with a directory
    call find_entry             ; SI = its entry, [found_lba] its sector
    call fail_if_carry          ; not found (or a disk error)
    mov al, [si + DIR_ATTRIBUTES] ; AL = attributes
    test al, ATTR_NOT_A_FILE    ; a directory or a label?
    jnz open_denied             ; cannot be opened
    test al, ATTR_READ_ONLY     ; read-only?
    jz open_allowed             ; no: any mode
    cmp byte ptr [open_mode], 0 ; reading only?
    jne open_denied             ; no: denied
open_allowed:
    mov ax, [si + DIR_FIRST_CLUSTER] ; first cluster
    mov [first_cluster], ax     ; remember the first cluster
    mov ax, [si + DIR_SIZE_LOW] ; size, low word
    mov [size_low], ax          ; remember the size, low word
    mov ax, [si + DIR_SIZE_HIGH] ; size, high word
    mov [size_high], ax         ; remember the size, high word
    xor ax, ax                  ; AX = 0
    mov [position], ax          ; at the start
    mov [position_high], ax     ; high word of the position, 0
    inc ax                      ; AX = 1
    mov [handle_open], al       ; the handle is taken
    mov ax, HANDLE              ; AX = the handle
    jmp near ok
open_invalid:
    mov ax, 0x0c                ; error 0Ch: invalid access mode
    jmp near fail               ; fail with it
open_denied:
denied:
    mov ax, 5                   ; error 5: access denied
    jmp near fail

fn_close:                       ; 3Eh: close handle BX
    call check_handle           ; ours and open (else fails)
    mov byte ptr [handle_open], 0 ; free: writes went to the disk as made,
    jmp near ok                 ;   and no write changed the file's size
    jmp near ok

fn_seek:                        ; 42h: move the pointer to CX:DX, AL = 0
    call check_handle           ; ours and open (else fails)
    test al, al                 ; from the start (all ALMOST.COM asks)?
    jnz seek_invalid            ; from here or from the end: not done here
    mov [position], dx          ; the new position
    mov [position_high], cx     ; high word of the new position
    mov [bp + FRAME_DX], cx     ; returned in DX:AX
    xchg ax, dx                 ; AX = its low word
    jmp near ok
seek_invalid:
    jmp near unsupported        ; error 1

fn_read:                        ; 3Fh: read CX bytes to DS:DX
    call check_handle
    mov es, [bp + FRAME_DS]     ; ES:DI = the caller's buffer
    mov di, dx                  ; DI = the buffer's offset
    call clamp_to_end           ; no further than the file's end
read_next:
    jcxz read_done              ; all read
    call next_chunk             ; BX = offset in the buffer, DX = bytes
    jc read_done                ; past the file's clusters
    lea si, [bx + SECTOR_BUFFER] ; DS:SI = the bytes
    push cx                     ; keep the count left
    mov cx, dx                  ; CX = this chunk
    rep movsb                   ; to the caller
    pop cx                      ; CX = count left
    sub cx, dx                  ; minus this chunk
    add [position], dx          ; the pointer moves on
    adc word ptr [position_high], 0 ; carry into the high word
    jmp read_next               ; next chunk
read_done:
    mov ax, di                  ; AX = bytes read
    sub ax, [bp + FRAME_DX]     ; minus where the buffer started
    jmp near ok

fn_write:                       ; 40h: write CX bytes from DS:DX
    call check_handle
    cmp byte ptr [open_mode], 0 ; opened for reading only?
    jne write_allowed
    jmp near denied             ; opened for reading only
write_allowed:
    jcxz write_unsupported      ; truncation: not done here
    mov si, dx                  ; SI = the caller's bytes
    call clamp_to_end           ; a file never grows here: short past its end
write_next:
    jcxz write_done             ; all written
    call next_chunk             ; AX = sector, BX = offset, DX = bytes
    jc write_done               ; past the file's clusters: short write
    lea di, [bx + SECTOR_BUFFER] ; ES:DI = into the buffer
    push cs                     ; ES = 0
    pop es
    push cx                     ; keep the count left
    mov cx, dx                  ; CX = this chunk
    push ds                     ; DS:SI = the caller's bytes
    mov ds, [bp + FRAME_DS]     ; DS = the caller's DS
    rep movsb                   ; into the buffer
    pop ds                      ; DS = 0
    pop cx                      ; CX = count left
    call write_buffer           ; the sector to the disk
    call fail_if_carry          ; refused (write-protected, ...)
    sub cx, dx                  ; minus this chunk
    add [position], dx          ; the pointer moves on
    adc word ptr [position_high], 0
    jmp write_next              ; next chunk
write_done:
    mov ax, si                  ; AX = bytes written
    sub ax, [bp + FRAME_DX]     ; minus where the buffer started
    jmp near ok
write_unsupported:
unsupported:
    mov ax, 1                   ; error 1: not a function we do
    jmp near fail

fn_delete:                      ; 41h: delete DS:DX
    call parse_name             ; fcb_name = the name
    call fail_if_carry          ; a path with a directory
    call find_entry             ; SI = its entry, [found_lba] its sector
    call fail_if_carry          ; not found (or a disk error)
    test byte ptr [si + DIR_ATTRIBUTES], ATTR_UNWRITABLE ; read-only, directory or label?
    jz delete_allowed
    jmp near denied             ; read-only, a directory or a label
delete_allowed:
    push word ptr [si + DIR_FIRST_CLUSTER] ; keep its first cluster
    mov byte ptr [si], DELETED  ; the entry is free
    mov ax, [found_lba]         ; AX = its sector
    call write_buffer           ; to the disk first: a refusal changes nothing
    pop ax                      ; AX = first cluster
    call fail_if_carry
    mov cx, [max_cluster]       ; at most this many links (a loop ends too)
delete_free:
    cmp ax, FIRST_CLUSTER       ; a data cluster?
    jb delete_fats
    cmp ax, [max_cluster]       ; inside the volume?
    ja delete_fats
    push ax                     ; keep this cluster
    call fat_next               ; AX = the next one
    pop bx                      ; BX = this one
    push ax                     ; keep the next one
    mov ax, bx                  ; AX = this one
    xor dx, dx                  ; free
    call fat_set                ; this cluster is free
    pop ax                      ; AX = the next one
    loop delete_free            ; along the chain
delete_fats:
    call write_fats             ; every FAT copy to the disk
    call fail_if_carry
    jmp near ok

functions:                      ; function, handler
    .byte 0x09                  ; print string
    .word fn_print_string
    .byte 0x25                  ; set vector
    .word fn_set_vector
    .byte 0x3d                  ; open
    .word fn_open
    .byte 0x3e                  ; close
    .word fn_close
    .byte 0x3f
    .word fn_read
    .byte 0x40                  ; write
    .word fn_write
    .byte 0x41                  ; delete
    .word fn_delete
    .byte 0x42                  ; seek
    .word fn_seek
    .byte 0x4c                  ; exit
    .word fn_exit
functions_end:

; -----------------------------------------------------------------------------
; check_handle - is BX our open handle? If not, fail the call (error 6)
; Entry:   BX = handle, BP = the INT 21h frame
; Output:  returns only if it is
; Affects: AX when it fails
; -----------------------------------------------------------------------------
check_handle:
    cmp bx, HANDLE              ; our handle?
    jne check_handle_bad
    cmp byte ptr [handle_open], 0 ; open?
    je check_handle_bad
    ret
check_handle_bad:
    mov ax, 6                   ; error 6: invalid handle
    jmp near fail               ; (fail resets SP from BP)

; -----------------------------------------------------------------------------
; clamp_to_end - a count no larger than what lies between the pointer and
;                the open file's end
; Entry:   CX = bytes asked for
; Output:  CX = at most size - position (0 at or past the end)
; Affects: AX, DX, flags
; -----------------------------------------------------------------------------
clamp_to_end:
    mov ax, [size_low]          ; DX:AX = size - position
    mov dx, [size_high]
    sub ax, [position]
    sbb dx, [position_high]
    jb clamp_nothing            ; past the end: nothing
    test dx, dx                 ; 64 KiB or more left?
    jnz clamp_done              ; then any 16-bit count fits
    cmp ax, cx                  ; fewer left than asked?
    jae clamp_done
    xchg cx, ax                 ; CX = what is left
clamp_done:
    ret
clamp_nothing:
    xor cx, cx                  ; nothing
    ret

; -----------------------------------------------------------------------------
; next_chunk - the next piece of the open file, at its pointer, in the buffer
; Entry:   CX = bytes still wanted (not 0), BP = the INT 21h frame
; Output:  CF clear: AX = the sector, now in SECTOR_BUFFER, BX = the offset
;          in it, DX = bytes of this piece (to the sector's end, at most CX);
;          CF set: the pointer is past the file's clusters
; Affects: AX, BX, DX, flags; a disk error fails the INT 21h call
; -----------------------------------------------------------------------------
next_chunk:
    call locate                 ; AX = sector, BX = offset in it
    jc next_chunk_done          ; past the clusters
    call read_buffer            ; the sector into the buffer
    call fail_if_carry          ; cannot read it
    mov dx, SECTOR_SIZE         ; DX = bytes left in this sector
    sub dx, bx                  ; minus the offset in it
    cmp dx, cx                  ; more than wanted?
    jbe next_chunk_found
    mov dx, cx                  ; yes: just what is wanted
next_chunk_found:
    clc                         ; a piece
next_chunk_done:
    ret

; -----------------------------------------------------------------------------
; parse_name - the caller's ASCIIZ path as an 11-byte directory name
; Entry:   caller's DS:DX (DS from the frame at BP); DS = 0
; Output:  CF clear: fcb_name filled; CF set: AX = 3 (names a directory)
; Affects: AX, CX, SI, DI, ES, flags
; -----------------------------------------------------------------------------
parse_name:
    push ds                     ; ES = 0: the name buffer
    pop es
    mov di, fcb_name            ; ES:DI = the name
    mov cx, DIR_NAME_SIZE       ; 8 + 3 characters
    mov al, 0x20                ; blank
    rep stosb                   ; all blanks
    push ds                     ; keep DS = 0
    mov ds, [bp + FRAME_DS]     ; DS:SI = the path
    mov si, dx                  ; DS:SI = the caller's path
    cmp byte ptr [si + 1], 0x3a ; "X:" first?
    jne parse_root
    add si, 2                   ; skip the drive
parse_root:
    cmp byte ptr [si], 0x5c     ; "\" first?
    jne parse_start
    inc si                      ; skip it
parse_start:
    mov di, fcb_name            ; the name part first
    mov cx, fcb_name + 8        ; CX = its end
parse_next:
    lodsb                       ; AL = next character
    test al, al                 ; the end?
    jz parse_done
    cmp al, 0x5c                ; "\": a directory
    je parse_directory
    cmp al, 0x2f                ; "/": a directory
    je parse_directory
    cmp al, 0x2e                ; ".", the extension follows?
    jne parse_char
    mov di, fcb_name + 8        ; the extension now
    mov cx, fcb_name + 11       ; CX = its end
    jmp parse_next              ; next character
parse_char:
    cmp al, 0x61                ; lower case?
    jb parse_store
    cmp al, 0x7a                ; past 'z'?
    ja parse_store
    sub al, 0x20                ; to upper case
parse_store:
    cmp di, cx                  ; room in this part?
    jae parse_next              ; no: DOS drops the rest
    stosb
    jmp parse_next              ; next character
parse_directory:
    pop ds
    mov ax, 3                   ; error 3: path not found
    stc                         ; (only the root directory here)
    ret
parse_done:
    pop ds
    clc                         ; a name
    ret

; -----------------------------------------------------------------------------
; locate - the sector and offset of the file position
; Entry:   [position], [first_cluster]
; Output:  CF clear: AX = sector (LBA), BX = offset in it;
;          CF set: the position is past the file's clusters
; Affects: AX, BX, flags
; -----------------------------------------------------------------------------
locate:
    cmp word ptr [position_high], 0 ; beyond 64 KiB?
    jne locate_beyond           ; not handled here
    push cx                     ; keep CX, DX
    push dx
    mov ax, [position]          ; AX = position
    mov bx, ax                  ; BX = position
    and bx, SECTOR_SIZE - 1     ; BX = offset in its sector
    mov cl, SECTOR_SHIFT        ; CL = 9: 512 bytes a sector
    shr ax, cl                  ; AX = sector index in the file
    div byte ptr [BPB_SECTORS_PER_CLUSTER] ; AL = cluster index, AH = sector in it
    mov dl, ah                  ; DL = sector in the cluster
    mov cl, al                  ; CL = cluster index
    xor ch, ch                  ; CX = clusters to follow
    mov ax, [first_cluster]     ; AX = the first
locate_walk:
    cmp ax, FIRST_CLUSTER
    jb locate_none              ; no: the chain ended first
    cmp ax, [max_cluster]
    ja locate_none
    jcxz locate_found           ; the cluster we want
    push bx                     ; fat_next uses BX
    call fat_next               ; AX = next cluster
    pop bx
    dec cx                      ; one fewer to follow
    jmp locate_walk             ; check it
locate_found:
    call cluster_sector         ; AX = its first sector
    xor dh, dh                  ; DX = sector in the cluster
    add ax, dx                  ; AX = the sector
    pop dx                      ; restore DX, CX
    pop cx
    clc                         ; found
    ret
locate_none:
    pop dx                      ; restore DX, CX
    pop cx
locate_beyond:
    stc                         ; past the clusters
    ret

; -----------------------------------------------------------------------------
; fat_set - write a FAT12 entry (in the FAT buffer)
; Entry:   AX = cluster, DX = the value (12 bits)
; Output:  none
; Affects: BX, DX, flags
; -----------------------------------------------------------------------------
fat_set:
    push cx                     ; keep CX
    mov bx, ax                  ; BX = cluster * 3 / 2
    shr bx, 1                   ; BX = cluster / 2
    add bx, ax                  ; BX = cluster + cluster / 2
    test al, 1                  ; odd cluster?
    jz fat_set_even
    mov cl, 4                   ; odd: the value in the high 12 bits
    shl dx, cl                  ; DX = the value in the high 12 bits
    and word ptr [bx + FAT_BUFFER], 0x000f ; keep the neighbour's nibble
    jmp fat_set_store
fat_set_even:
    and word ptr [bx + FAT_BUFFER], 0xf000 ; keep the neighbour's nibble
fat_set_store:
    or [bx + FAT_BUFFER], dx    ; the new value
    pop cx                      ; restore CX
    ret

; -----------------------------------------------------------------------------
; write_fats - the FAT buffer to every FAT copy on the disk
; Entry:   DS = 0
; Output:  CF clear, or CF set and AX = DOS error code
; Affects: AX, BX, CX, ES, flags (its one caller, delete, leaves through
;          the INT 21h frame, which restores them)
; -----------------------------------------------------------------------------
write_fats:
    push ds                     ; ES = 0
    pop es
    mov ax, [fat_start]         ; AX = first FAT sector
    mov cl, [BPB_FAT_COUNT]     ; CL = copies
    mov byte ptr [disk_op], 3   ; writing
write_fats_copy:
    push cx                     ; keep the copies left
    mov bx, FAT_BUFFER          ; ES:BX = the FAT
    mov cx, [BPB_SECTORS_PER_FAT] ; CX = its sectors
    call sectors                ; the whole FAT
    pop cx                      ; CL = copies left (POP keeps CF)
    jc write_fats_done          ; refused: AX = the error
    dec cl                      ; one done
    jnz write_fats_copy         ; the next copy follows on the disk
write_fats_done:
    ret                         ; (DEC leaves CF as sectors left it: clear)

; -----------------------------------------------------------------------------
; sectors - consecutive sectors through disk
; Entry:   AX = first sector, CX = how many (not 0), ES:BX = buffer,
;          [disk_op] = 2 read, 3 write
; Output:  CF clear: AX = the sector after them, BX past them;
;          CF set: AX = DOS error code
; Affects: AX, BX, CX, flags
; -----------------------------------------------------------------------------
sectors:
    call disk                   ; one sector
    jc sectors_done             ; refused: AX = the error
    inc ax                      ; the next sector
    add bx, SECTOR_SIZE         ;   512 bytes on
    loop sectors
    clc                         ; all done
sectors_done:
    ret

; -----------------------------------------------------------------------------
; read_buffer  - a sector into SECTOR_BUFFER (no disk access if there already)
; write_buffer - SECTOR_BUFFER to a sector
; Entry:   AX = sector (LBA); DS = 0
; Output:  CF clear, AX kept; CF set: AX = DOS error code, buffer forgotten
; Affects: AX, flags
; -----------------------------------------------------------------------------
read_buffer:
    cmp ax, [buffered_lba]      ; already there?
    je buffer_done              ; yes (CF clear: equal)
    mov byte ptr [disk_op], 2
    jmp buffer_io               ; and do it
write_buffer:
    mov byte ptr [disk_op], 3   ; writing
buffer_io:
    push bx                     ; keep BX, ES
    push es
    push ds                     ; ES:BX = the buffer
    pop es
    mov bx, SECTOR_BUFFER       ; ES:BX = the sector buffer
    call disk                   ; read or write it
    pop es                      ; restore ES, BX
    pop bx
    jc buffer_failed
    mov [buffered_lba], ax      ; the buffer holds this sector
buffer_done:
    ret                         ; CF clear
buffer_failed:
    mov word ptr [buffered_lba], 0xffff ; the buffer holds nothing sure
    ret                         ; CF set

; -----------------------------------------------------------------------------
; find_entry - find fcb_name in the root directory
; Entry:   fcb_name; DS = 0
; Output:  CF clear: SI = the entry in SECTOR_BUFFER, [found_lba] = sector;
;          CF set: AX = 2 (not found) or a disk error code
; Affects: AX, CX, SI, DI, ES, flags
; -----------------------------------------------------------------------------
find_entry:
    push ds                     ; ES = 0: the wanted name
    pop es
    mov ax, [root_start]        ; AX = first root sector
    mov cx, [root_sectors]      ; CX = how many
find_sector:
    call read_buffer            ; the sector into the buffer
    jc find_error               ; a disk error
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
    xor ch, ch
    mul cx                      ; AX = sectors before it
    add ax, [data_start]        ; after the root directory
    pop dx
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
    pop cx
    ret

    .include "apm.inc"

; --- Data -----------------------------------------------------------------------
handlers:                       ; INT 20h, 21h, 22h (terminate address), 23h, 24h
    .word int20, int21, int20, int23, int24
program_name:
    .ascii PROGRAM_NAME
msg_result:
    .ascii RESULT_PREFIX            ; then the exit code
    .byte 0                         ; end
msg_crlf:
    .byte 13, 10, 0                 ; CR LF, end
msg_no_program:
    .ascii "No ALMOST.COM"          ; nothing to run
    .byte 13, 10, 0                 ; CR LF, end
msg_disk_error:
    .ascii "Disk error"             ; cannot read the floppy at boot
    .byte 13, 10, 0
handle_open:    .byte 0             ; 1 while our handle is open
open_mode:      .byte 0             ; 0 read, 1 write, 2 both
fat_start:      .word 0             ; first FAT sector
root_start:     .word 0             ; first root directory sector
root_sectors:   .word 0             ; root directory sectors
data_start:     .word 0             ; first sector of cluster 2
max_cluster:    .word 0             ; highest cluster number
host_sp:        .word 0             ; our stack while the program runs
buffered_lba:   .word 0xffff        ; the sector in SECTOR_BUFFER
found_lba:      .word 0             ; sector of the entry find_entry found
first_cluster:  .word 0             ; the open file: its first cluster,
size_low:       .word 0             ;   its size,
size_high:      .word 0             ;   (the size's high word)
position:       .word 0             ;   and the file pointer
position_high:  .word 0             ;   (the pointer's high word)
fcb_name:       .fill 11, 1, 0x20   ; a name as the directory spells it
host_mark:      .word HOST_MARK     ; last: the boot sector checks it was loaded whole
