"""Harnesses the tests and the benchmarks share: the Unicorn machines (``dos``: ALMOST.COM under a DOS in
Python; ``pc``: a PC with a BIOS in Python that boots a floppy), the exact-change oracle
(``disk_changes``) and the fault matrix, the project's behaviour specification (``fault_matrix``)."""
