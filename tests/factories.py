"""factory-boy factories shared by every test module."""

from __future__ import annotations

import factory

from accounts.models import Application, AppType, ClientGrant, Connection, Strategy, User

DEFAULT_PASSWORD = "Correct-Horse-42"


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection
        django_get_or_create = ("name",)

    name = "Username-Password-Authentication"
    strategy = Strategy.DATABASE
    password_policy = "good"


class SocialConnectionFactory(ConnectionFactory):
    name = "google-oauth2"
    strategy = Strategy.GOOGLE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    connection = factory.SubFactory(ConnectionFactory)
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    email_verified = True

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if self.connection.is_database:
            self.set_password(extracted or DEFAULT_PASSWORD)
        else:
            self.set_unusable_password()
        if create:
            self.save()


class StaffFactory(UserFactory):
    """A dashboard staff member: always in the staff realm, out of the tenant's reach."""

    connection = factory.LazyFunction(lambda: Connection.objects.get(is_staff_realm=True))
    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    is_staff = True
    staff_role = "administrator"


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"App {n}")
    app_type = AppType.SPA
    allowed_origins = factory.LazyFunction(lambda: ["https://app.example.com"])

    @factory.post_generation
    def connections(self, create: bool, extracted: list[Connection] | None, **kwargs: object):
        if create:
            self.enabled_connections.set(extracted or [ConnectionFactory()])


class ClientGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientGrant

    application = factory.SubFactory(ApplicationFactory, app_type=AppType.M2M)
    audience = "http://testserver/api/v2/"
    scopes = factory.LazyFunction(lambda: ["read:users", "update:users"])
