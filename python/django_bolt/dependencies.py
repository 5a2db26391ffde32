"""``Depends(fn)``: values computed for a handler before it runs, once per request.

A route whose handler has dependencies is served through a :class:`Runner`, which
Rust calls in place of the handler; a route without any keeps the direct call.

A dependency is a function (sync, async, generator or async generator) whose own
arguments are the ``Request``, other ``Depends(...)``, or parameters read from the request
like the handler's (same name, same value). Within one request each dependency function
runs once, unless declared with ``use_cache=False``. What a generator dependency yields
is its value; the code after ``yield`` runs once the response has been encoded, last
opened first, and sees the handler's exception (thrown in at the ``yield``) when it failed.

Where code runs: with an ``async def`` handler everything runs on the event loop, so a
sync dependency there must be quick (no blocking I/O, no ORM). With a ``def`` handler the
sync dependencies, their cleanup and the handler run in one worker thread, and async
dependencies are awaited on the loop meanwhile.
"""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from . import _loop
from ._core import Request
from .param_functions import Depends
from .responses import Encoded, StreamingResponse

#: The keyword under which Rust passes the Request when only dependencies want it.
REQUEST_KEY = "__bolt_request__"

_DONE = object()

Steps = Generator[Awaitable[Any], Any, Any]


class DependencyError(TypeError):
    """A dependency cannot be served as declared."""


@dataclass
class Dependency:
    """One node of a route's dependency graph."""

    call: Callable[..., Any]
    use_cache: bool
    kind: str  # "call" (its result awaited if awaitable) | "generator" | "async_generator"
    #: Its arguments that receive the Request.
    request_args: list[str] = field(default_factory=list)
    #: Its arguments read from the request, as route parameters of the same name.
    value_args: list[str] = field(default_factory=list)
    #: Its arguments filled by other dependencies.
    sub: dict[str, Dependency] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return getattr(self.call, "__qualname__", repr(self.call))

    @property
    def needs_request(self) -> bool:
        return bool(self.request_args) or any(d.needs_request for d in self.sub.values())


def is_request(param: inspect.Parameter, hints: dict[str, Any]) -> bool:
    """A parameter that receives the Request: annotated ``Request`` (or the original's
    generic ``Request[User, Claims, State]``) or named ``request`` without an
    annotation."""
    annotation = hints.get(param.name)
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is Request:
        annotation = Request
    return annotation is Request or (param.name == "request" and param.name not in hints)


def depends_of(param: inspect.Parameter, annotation: Any) -> Depends | None:
    """The ``Depends`` of a parameter, from ``Annotated[...]`` or its default; one
    without a function depends on the annotated type."""
    extras = [param.default]
    base = annotation
    if typing.get_origin(annotation) is typing.Annotated:
        base, *more = typing.get_args(annotation)
        extras.extend(more)
    found = [extra for extra in extras if isinstance(extra, Depends)]
    if not found:
        return None
    depends = found[-1]
    if depends.dependency is None:
        return Depends(base, use_cache=depends.use_cache)
    return depends


def declare(
    depends: Depends,
    read_value: Callable[[inspect.Parameter, Any], None],
    chain: tuple[Callable[..., Any], ...] = (),
) -> Dependency:
    """The graph under ``depends``; ``read_value(param, annotation)`` makes a route
    parameter of each argument that is neither the Request nor a dependency."""
    call = depends.dependency
    if not callable(call):
        raise DependencyError(f"Depends() needs a callable, not {call!r}")
    if call in chain:
        cycle = " -> ".join(getattr(c, "__qualname__", repr(c)) for c in (*chain, call))
        raise DependencyError(f"dependency cycle: {cycle}")
    node = Dependency(call, depends.use_cache, _kind(call))
    try:
        hints = typing.get_type_hints(
            call.__init__ if isinstance(call, type) else call, include_extras=True
        )
        parameters = inspect.signature(call).parameters.values()
    except Exception as exc:
        raise DependencyError(f"dependency {node.name}: cannot read its signature: {exc}") from exc
    for param in parameters:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise DependencyError(f"dependency {node.name}: *args and **kwargs cannot be filled")
        annotation = hints.get(param.name, str)
        if is_request(param, hints):
            node.request_args.append(param.name)
        elif (sub := depends_of(param, annotation)) is not None:
            node.sub[param.name] = declare(sub, read_value, (*chain, call))
        else:
            read_value(param, annotation)
            node.value_args.append(param.name)
    return node


def _kind(call: Callable[..., Any]) -> str:
    if inspect.isasyncgenfunction(call):
        return "async_generator"
    if inspect.isgeneratorfunction(call):
        return "generator"
    return "call"


class _Solution:
    """One request's dependency values, and the generators still to finish.

    Its methods are generators that yield the awaitables they need and get back their
    results, so the same code runs on the event loop (:func:`_on_loop`) and in a worker
    thread (:func:`_from_thread`).
    """

    def __init__(self, values: dict[str, Any], request: Any) -> None:
        self.values = values
        self.request = request
        self.cache: dict[Callable[..., Any], Any] = {}
        self.open: list[tuple[Dependency, Any]] = []

    def arguments(self, dependencies: dict[str, Dependency], names: list[str]) -> Steps:
        """The handler's keyword arguments: ``names`` from the request, plus each
        dependency's value."""
        kwargs = {name: self.values[name] for name in names}
        for name, dependency in dependencies.items():
            kwargs[name] = yield from self.value_of(dependency)
        return kwargs

    def value_of(self, dependency: Dependency) -> Steps:
        if dependency.use_cache and dependency.call in self.cache:
            return self.cache[dependency.call]
        kwargs = {name: self.values[name] for name in dependency.value_args}
        kwargs.update(dict.fromkeys(dependency.request_args, self.request))
        for name, sub in dependency.sub.items():
            kwargs[name] = yield from self.value_of(sub)
        made = dependency.call(**kwargs)
        if dependency.kind == "generator":
            value = next(made, _DONE)
            self.open.append((dependency, made))
        elif dependency.kind == "async_generator":
            value = yield anext(made, _DONE)
            self.open.append((dependency, made))
        elif inspect.isawaitable(made):
            value = yield made
        else:
            value = made
        if value is _DONE:
            raise RuntimeError(f"dependency {dependency.name} finished without yielding a value")
        if dependency.use_cache:
            self.cache[dependency.call] = value
        return value

    def finish(self, error: BaseException | None) -> Steps:
        """Run each generator's code after ``yield``, last opened first: resumed, or
        with ``error`` thrown in. Raises the error left at the end: ``error``, or what a
        generator raised instead."""
        while self.open:
            dependency, made = self.open.pop()
            is_async = dependency.kind == "async_generator"
            try:
                if error is None:
                    result = (yield anext(made, _DONE)) if is_async else next(made, _DONE)
                    if result is not _DONE:
                        raise RuntimeError(f"dependency {dependency.name} yielded twice")
                else:
                    if is_async:
                        yield made.athrow(error)
                    else:
                        made.throw(error)
                    raise RuntimeError(f"dependency {dependency.name} yielded twice")
            except (StopIteration, StopAsyncIteration):
                pass  # it finished (having handled the error, if one was thrown in)
            except BaseException as exc:
                error = exc
        if error is not None:
            raise error


async def _on_loop(steps: Steps) -> Any:
    """Run ``steps`` on the event loop, awaiting what they yield."""
    sent: Any = None
    failure: BaseException | None = None
    while True:
        try:
            awaitable = steps.send(sent) if failure is None else steps.throw(failure)
        except StopIteration as stop:
            return stop.value
        try:
            sent, failure = await awaitable, None
        except BaseException as exc:
            sent, failure = None, exc


def _from_thread(steps: Steps, loop: asyncio.AbstractEventLoop) -> Any:
    """Run ``steps`` in a worker thread; what they yield is awaited on ``loop``."""
    wait = _waiter(loop)
    sent: Any = None
    failure: BaseException | None = None
    while True:
        try:
            awaitable = steps.send(sent) if failure is None else steps.throw(failure)
        except StopIteration as stop:
            return stop.value
        try:
            sent, failure = wait(awaitable), None
        except BaseException as exc:
            sent, failure = None, exc


def _waiter(loop: asyncio.AbstractEventLoop) -> Callable[[Awaitable[Any]], Any]:
    """How this thread waits for an awaitable run on ``loop``. Behind Django middleware
    the thread is the middleware's (``_loop.run_sync``): asgiref's ``async_to_sync``
    lets the awaitable's ORM calls come back to it, onto the connection the middleware
    set up (django-tenants' schema), while it waits."""
    if _loop.behind_django_middleware.get():
        from asgiref.sync import async_to_sync

        return async_to_sync(_await)
    return lambda awaitable: asyncio.run_coroutine_threadsafe(_await(awaitable), loop).result()


async def _await(awaitable: Awaitable[Any]) -> Any:
    # run_coroutine_threadsafe takes coroutines only, and anext()/athrow() are not.
    return await awaitable


class Runner:
    """What Rust calls for a route with dependencies: solve them, call the handler,
    encode its result, finish the generators, and hand back the encoded response."""

    def __init__(
        self,
        handler: Callable[..., Any],
        dependencies: dict[str, Dependency],
        request_key: str | None,
        finalize: Callable[[Any], Any],
        produce: Callable[[Any], Any],
    ) -> None:
        self.handler = handler
        self.is_async = inspect.iscoroutinefunction(handler)
        self.dependencies = dependencies
        self.names = [n for n in inspect.signature(handler).parameters if n not in dependencies]
        self.request_key = request_key
        #: ``routing._response.finalize`` (on the loop; may return a coroutine to await)
        #: and ``routing._response.produce`` (in any thread), bound to the route.
        self.finalize = finalize
        self.produce = produce

    async def __call__(self, **values: Any) -> Any:
        if not self.is_async:
            loop = asyncio.get_running_loop()
            return await _loop.run_sync(self._in_thread, {"values": values, "loop": loop})
        solution = _Solution(values, values.get(self.request_key))
        try:
            kwargs = await _on_loop(solution.arguments(self.dependencies, self.names))
            produced = self.finalize(await self.handler(**kwargs))
            if inspect.iscoroutine(produced):
                produced = await produced
        except BaseException as exc:
            await _on_loop(solution.finish(exc))  # raises exc, or what replaced it
        await _on_loop(solution.finish(None))
        return _ready(produced)

    def _in_thread(self, values: dict[str, Any], loop: asyncio.AbstractEventLoop) -> Any:
        solution = _Solution(values, values.get(self.request_key))
        try:
            kwargs = _from_thread(solution.arguments(self.dependencies, self.names), loop)
            produced = self.produce(self.handler(**kwargs))
        except BaseException as exc:
            _from_thread(solution.finish(exc), loop)  # raises exc, or what replaced it
        _from_thread(solution.finish(None), loop)
        return _ready(produced)


def _ready(produced: Any) -> Any:
    """What Rust's ``finalize`` passes through: an encoded response or a stream."""
    if isinstance(produced, (Encoded, StreamingResponse)):
        return produced
    return Encoded(produced)


async def resolve_dependency(
    dependency: Depends | Callable[..., Any],
    request: Any = None,
    cache: dict[Callable[..., Any], Any] | None = None,
    **values: Any,
) -> Any:
    """The value of ``dependency`` (a ``Depends(...)`` or the function itself) outside
    a route, as a handler would get it: its own ``Depends`` resolved first, its
    Request arguments given ``request``, its other arguments taken from ``values``
    (or their defaults). ``cache`` (a dict kept by the caller) shares values between
    calls as one request does. Generator dependencies need a route, whose response
    ends them: refused here with a TypeError."""
    depends = dependency if isinstance(dependency, Depends) else Depends(dependency)
    defaults: dict[str, Any] = {}
    missing: list[str] = []

    def read_value(param: inspect.Parameter, annotation: Any) -> None:
        if param.name in values:
            return
        if param.default is inspect.Parameter.empty:
            missing.append(param.name)
        else:
            defaults[param.name] = param.default

    node = declare(depends, read_value)
    if missing:
        raise TypeError(f"dependency {node.name} needs {', '.join(sorted(set(missing)))}")
    _refuse_generators(node)
    solution = _Solution({**defaults, **values}, request)
    if cache is not None:
        solution.cache = cache
    return await _on_loop(solution.value_of(node))


async def call_dependency(call: Callable[..., Any], request: Any = None, **values: Any) -> Any:
    """``call``'s value for ``request``, computed afresh (no cache); see
    :func:`resolve_dependency`."""
    return await resolve_dependency(Depends(call, use_cache=False), request, **values)


def _refuse_generators(node: Dependency) -> None:
    if node.kind != "call":
        raise TypeError(
            f"dependency {node.name} is a generator: its cleanup runs after a response, so"
            " it is resolved by a route (Depends() on a handler), not by resolve_dependency"
        )
    for sub in node.sub.values():
        _refuse_generators(sub)
