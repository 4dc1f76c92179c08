"""Annotated 8086 assembly sources, shipped as package data and assembled with Keystone at build time."""
