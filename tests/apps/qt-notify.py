#!/usr/bin/python3
"""A Qt program's notification: org.freedesktop.Notifications.Notify called through QtDBus,
with Qt's own D-Bus marshalling (a QStringList of actions, a QVariantMap of hints).

    qt-notify.py SUMMARY BODY

Prints the id the server gave, or the D-Bus error, and exits."""

import sys

from PyQt5.QtCore import QCoreApplication, QMetaType
from PyQt5.QtDBus import QDBusArgument, QDBusConnection, QDBusInterface

app = QCoreApplication(sys.argv)
iface = QDBusInterface(
    "org.freedesktop.Notifications",
    "/org/freedesktop/Notifications",
    "org.freedesktop.Notifications",
    QDBusConnection.sessionBus(),
)
reply = iface.call(
    "Notify",
    "Qt chat",
    QDBusArgument(0, QMetaType.UInt),
    "",
    sys.argv[1],
    sys.argv[2],
    QDBusArgument(["open", "Open"], QMetaType.QStringList),
    {"category": "im.received", "desktop-entry": "org.example.QtChat"},
    -1,
)
if reply.errorName():
    print(f"error {reply.errorName()}: {reply.errorMessage()}", flush=True)
    sys.exit(1)
print(f"id {reply.arguments()[0]}", flush=True)
