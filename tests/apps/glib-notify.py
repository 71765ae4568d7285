#!/usr/bin/python3
"""A GLib application's notification, as GTK and GNOME apps send them: a Gio.Application with
a Gio.Notification and a button bound to one of its actions. On a session bus with neither the
portal nor org.gtk.Notifications, GLib sends it to org.freedesktop.Notifications (its
freedesktop backend) and activates the button's action when ActionInvoked names it.

    glib-notify.py SUMMARY BODY

Prints "sent" once the notification is handed to GLib and "reply" when the button's action is
activated; runs until killed."""

import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio  # noqa: E402

summary, body = sys.argv[1], sys.argv[2]
app = Gio.Application(application_id="org.example.GlibMail", flags=Gio.ApplicationFlags.FLAGS_NONE)
reply = Gio.SimpleAction.new("reply", None)
reply.connect("activate", lambda *_: print("reply", flush=True))
app.add_action(reply)


def activate(app):
    n = Gio.Notification.new(summary)
    n.set_body(body)
    n.add_button("Reply", "app.reply")
    app.send_notification("new-mail", n)
    print("sent", flush=True)


app.connect("activate", activate)
app.hold()
app.run([sys.argv[0]])
