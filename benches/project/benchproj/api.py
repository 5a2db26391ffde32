from django_bolt import BoltAPI, CompressionConfig, no_compress

api = BoltAPI(compression=CompressionConfig())

#: About 10 KB of JSON, for the compression scenarios.
ROWS = [{"id": i, "name": f"item-{i}", "price": i * 1.5, "tags": ["a", "b"]} for i in range(160)]


@api.get("/")
@no_compress
async def hello():
    return {"message": "hello"}


@api.get("/rows")
async def rows():
    return ROWS
