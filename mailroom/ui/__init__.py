"""The Qt shell of the desktop apps: the only part of ``mailroom`` that imports PySide6.

Widgets call the Qt-free services in ``mailroom`` and run anything slow through the one
background-task helper, ``mailroom.ui.tasks``; they never run SQL or touch files themselves.
"""
