"""A stand-alone 4PX (FOP open platform, China -> Southeast Asia line haul) sandbox: a real HTTP server on
127.0.0.1 built from 4PX's published API shapes. Standard library only; imports nothing from the project.
See README.md in this folder.
"""
