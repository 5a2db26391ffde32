"""TestClient inside Django's TestCase: the routes use the test's connection."""

from django.test import TestCase, TransactionTestCase
from notesproj.api import api
from notesproj.models import Note

from django_bolt.django_app import DjangoApplication
from django_bolt.testing import AsyncTestClient, TestClient


def texts() -> list[str]:
    return list(Note.objects.order_by("id").values_list("text", flat=True))


class NotesTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        Note.objects.create(text="from setUpTestData")

    def setUp(self):
        self.bolt = TestClient(api, asgi=DjangoApplication())
        self.addCleanup(self.bolt.close)

    def test_1_routes_see_the_tests_uncommitted_data(self):
        Note.objects.create(text="from the test")
        expected = ["from setUpTestData", "from the test"]
        self.assertEqual(self.bolt.get("/notes").json(), expected)
        self.assertEqual(self.bolt.get("/notes/async").json(), expected)
        self.assertEqual(self.bolt.get("/count/").json(), {"count": 2})

    def test_2_route_writes_are_in_the_tests_transaction(self):
        self.assertEqual(self.bolt.post("/notes", json={"text": "async"}).status_code, 201)
        self.assertEqual(self.bolt.post("/notes/sync", json={"text": "sync"}).status_code, 201)
        self.assertEqual(texts(), ["from setUpTestData", "async", "sync"])

    def test_3_and_are_rolled_back_with_it(self):
        self.assertEqual(texts(), ["from setUpTestData"])
        self.assertEqual(self.bolt.get("/notes/async").json(), ["from setUpTestData"])

    async def test_4_async_tests_and_the_async_client_share_it_too(self):
        await Note.objects.acreate(text="from the async test")
        async with AsyncTestClient(api) as bolt:
            listed = (await bolt.get("/notes")).json()
            self.assertEqual(listed, ["from setUpTestData", "from the async test"])
            await bolt.post("/notes", json={"text": "by the route"})
        self.assertEqual(await Note.objects.acount(), 3)

    def test_5_a_django_views_exception_is_raised_in_the_test(self):
        with self.assertRaises(ZeroDivisionError):
            self.bolt.get("/boom/")
        quiet = TestClient(asgi=DjangoApplication(), raise_server_exceptions=False)
        with quiet:
            self.assertEqual(quiet.get("/boom/").status_code, 500)


class NotesTransactionTestCase(TransactionTestCase):
    def test_routes_and_the_test_share_committed_data(self):
        Note.objects.create(text="committed")
        with TestClient(api) as bolt:
            self.assertEqual(bolt.get("/notes").json(), ["committed"])
            bolt.post("/notes", json={"text": "by the route"})
        self.assertEqual(texts(), ["committed", "by the route"])
