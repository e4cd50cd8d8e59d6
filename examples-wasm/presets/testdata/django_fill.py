"""Fills a PostgreSQL database the way a Django app does: Django's own migrations create
auth_user, and Django's hashers hash the passwords. Used by examples-wasm/presets_test.go:

    python3 django_fill.py HOST PORT USER DBNAME

Prints the users it made as JSON lines {"username", "email", "password", "active"}.
"""
import json
import sys

import django
from django.conf import settings

host, port, user, name = sys.argv[1:5]
settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "HOST": host, "PORT": port,
                           "USER": user, "NAME": name}},
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
    # Django's default list, argon2 and bcrypt first where a user asks for them below.
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
    ],
    USE_TZ=True,
)
django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0)

users = [
    # username, email, password, hasher (None: the default), active
    ("Leo", "Leo.Fischer@Example.com", "leo-pbkdf2-pass", None, True),
    ("ana", "ana@example.com", "ana-argon2-pass", "argon2", True),
    ("bob", "bob@example.com", "bob-bcrypt-pass", "bcrypt_sha256", True),
    ("carl", "carl@example.com", "carl-inactive-pass", None, False),
    ("dora", "", "dora-sha1-pass", "pbkdf2_sha1", True),
]
for username, email, pw, hasher, active in users:
    u = User(username=username, email=email, is_active=active, first_name=username.title(), last_name="Test")
    u.password = make_password(pw, hasher=hasher) if hasher else make_password(pw)
    u.save()
    print(json.dumps({"username": username, "email": email, "password": pw, "active": active}))
# A user made without a password (manage.py createsuperuser --no-input, social logins).
u = User.objects.create_user("eve", "eve@example.com")
u.set_unusable_password()
u.save()
