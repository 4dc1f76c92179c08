"""Emulation harnesses for the tests and benchmarks: the Unicorn DOS machine, QEMU and DOSBox runners."""
