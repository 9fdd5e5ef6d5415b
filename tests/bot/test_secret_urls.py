"""Credentials in configured URLs never show: masked for operators, dropped for Slack."""

from __future__ import annotations

import pytest

from bot.secret_urls import mask_url, public_url


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("sqlite:///opsbot.db", "sqlite:///opsbot.db"),
        (
            "postgresql+psycopg://opsbot:hunter2@db:5432/opsbot",
            "postgresql+psycopg://opsbot:***@db:5432/opsbot",
        ),
        ("postgresql://opsbot@db/opsbot?password=hunter2", "postgresql://opsbot@db/opsbot?password=***"),
        (
            "postgresql://u@db/x?sslpassword=s&sslmode=require",
            "postgresql://u@db/x?sslmode=require&sslpassword=***",
        ),
        ("http://:hunter2@prom:9090", "http://:***@prom:9090"),
        ("http://prom:9090/api?api_key=k&step=1", "http://prom:9090/api?api_key=***&step=1"),
        ("not a url", "***"),
    ],
)
def test_mask_url_hides_passwords_and_credential_parameters(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pass@prom.internal:9090/prometheus?token=t#x", "http://prom.internal:9090/prometheus"),
        ("https://:pass@[::1]:9093", "https://[::1]:9093"),
        ("http://127.0.0.1:9090", "http://127.0.0.1:9090"),
        ("http://host:notaport", "(a URL that cannot be shown)"),
    ],
)
def test_public_url_keeps_only_scheme_host_port_and_path(url: str, shown: str) -> None:
    assert public_url(url) == shown
