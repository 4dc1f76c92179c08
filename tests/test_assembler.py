"""The Keystone wrapper: directives, 8086 forms, listings, and the lint that guards them."""

from __future__ import annotations

import pytest

from almostism_dos.assembler import AssemblyError, assemble, split_comment
from almostism_dos.lint8086 import Not8086Error, lint, require_8086


def build(source: str, origin: int = 0x100, includes: dict[str, str] | None = None) -> bytes:
    sources = {"main.asm": source, **(includes or {})}
    return assemble("main.asm", sources.__getitem__, origin).code


def test_semicolon_starts_a_comment_but_not_inside_strings() -> None:
    assert split_comment('    .ascii "a;b" ; note') == ('    .ascii "a;b" ', "; note")
    assert build("nop ; nop\n") == b"\x90"


def test_near_call_jmp_and_returns_are_8086_encodings() -> None:
    code = build("start:\ncall target\njmp near target\nret\nretf\ntarget:\nnop\n")
    # E8 rel16 from 0x103 to 0x108 = 5; E9 rel16 from 0x106 to 0x108 = 2
    assert code == bytes.fromhex("e80500 e90200 c3 cb 90")


def test_far_jump() -> None:
    assert build(".equ HOST, 0x600\njmp far 0:HOST\n") == bytes.fromhex("ea 0006 0000")


def test_returns_that_pop_arguments() -> None:
    assert build("ret 4\nretf 2\n") == bytes.fromhex("c2 0400 ca 0200")


def test_backward_near_call_displacement() -> None:
    assert build("back:\nnop\ncall back\n") == bytes.fromhex("90 e8fcff")


def test_register_indirect_call_is_left_to_keystone() -> None:
    assert build("call dx\n") == bytes.fromhex("ffd2")


def test_forward_label_in_a_memory_operand_is_resolved() -> None:
    # Keystone alone encodes [buffer + 50] as [0x32] when buffer is defined later.
    code = build("mov al, [buffer + 50]\nmov bx, [buffer]\nbuffer:\n")
    assert code == bytes.fromhex("a0 39 01") + bytes.fromhex("8b 1e 07 01")


def test_include_and_equ() -> None:
    code = build('.include "consts.inc"\nmov ax, ANSWER\n', includes={"consts.inc": ".equ ANSWER, 42\n"})
    assert code == bytes.fromhex("b8 2a 00")


def test_pad_to_fills_with_nops_up_to_size() -> None:
    assert build("block:\ninc ax\n.pad_to block, 4\nhlt\n") == bytes.fromhex("40 90 90 90 f4")


def test_pad_to_refuses_a_block_over_its_size() -> None:
    with pytest.raises(AssemblyError, match="over 1"):
        build("block:\ninc ax\ninc ax\n.pad_to block, 1\n")


def test_bad_statement_names_file_and_line() -> None:
    with pytest.raises(AssemblyError, match=r"main\.asm:2: .*Keystone"):
        build("nop\nfrobnicate ax\n")


def test_duplicate_label_is_an_error() -> None:
    with pytest.raises(AssemblyError, match="defined twice"):
        build("a:\nnop\na:\n")


def test_listing_shows_address_bytes_and_commented_source() -> None:
    assembly = assemble("m.asm", {"m.asm": "start:\n    mov ax, 0x4c00 ; exit\n"}.__getitem__, 0x100)
    assert "0100  B8 00 4C                     mov ax, 0x4c00 ; exit" in assembly.listing()


def test_assembly_is_deterministic() -> None:
    source = "a:\nmov cx, 5\nloop a\ncall b\nb:\nret\n"
    assert build(source) == build(source)


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("jmp far_away\n.fill 300, 1, 0\nfar_away:", "0x66"),  # 66 E9 rel32
        ("jc far_away\n.fill 300, 1, 0\nfar_away:", "0x66"),  # 66 0F 82 rel32
        ("push 5", "0x66"),  # Keystone: 66 6A 05
        ("shl ax, 3", "shift/rotate by an immediate"),
        ("pusha", "pusha"),
        ("leave", "leave"),
        ("movzx ax, bl", "0x0F"),
        ("mov eax, 1", "0x66"),
        ("mov ax, [ebx]", "0x67"),
        ("imul ax, bx, 3", "imul"),
        ("insb", "insb"),
        ("mov ax, fs", "fs"),
    ],
)
def test_lint_rejects_non_8086_code(statement: str, reason: str) -> None:
    assembly = assemble("m.asm", {"m.asm": statement + "\n"}.__getitem__, 0x100)
    problems = lint(assembly)
    assert problems and reason in problems[0]
    with pytest.raises(Not8086Error):
        require_8086(assembly)


def test_lint_rejects_an_instruction_keystone_emitted_as_nothing() -> None:
    assembly = assemble("m.asm", {"m.asm": "cs: lodsb\n"}.__getitem__, 0x100)
    assert any("override was dropped" in p or "nothing" in p for p in lint(assembly))


def test_lint_rejects_push_immediate_even_without_a_prefix() -> None:
    assembly = assemble("m.asm", {"m.asm": "push ax\n"}.__getitem__, 0x100)
    forged = assembly.lines[0].__class__(0x100, b"\x6a\x05", assembly.lines[0].source)
    assert "push imm8" in lint(assembly.__class__(0x100, b"\x6a\x05", (forged,), {}))[0]


def test_lint_skips_data_directives() -> None:
    # "of" is 6F 66: outsw and an operand-size prefix, were it code.
    assembly = assemble("m.asm", {"m.asm": '.ascii "of"\n.byte 0x0f, 0x66\nnop\n'}.__getitem__, 0x100)
    assert lint(assembly) == []


def test_lint_accepts_ordinary_8086_code() -> None:
    source = "a:\nshl ax, 1\nshr al, cl\nrep movsb\nloop a\nint 0x21\niret\ncall a\nret\nmov al, es:[di]\n"
    assert lint(assemble("m.asm", {"m.asm": source}.__getitem__, 0x100)) == []
