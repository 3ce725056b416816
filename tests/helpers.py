from django.test import Client


def sign_in(username: str, password: str, **client_kwargs) -> Client:
    """Signs in through the real login form (CSRF token, django-axes), as a browser would."""
    client = Client(**client_kwargs)
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 302, f"login of {username} failed"
    return client
