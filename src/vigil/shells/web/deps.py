"""The console's context as FastAPI dependencies: the `Console` that `install` keeps on the app,
the signed-in session (else SignIn, to /login), and a session whose role may write or configure
(else Refused, 403). A route names what it needs in its signature: `session: Writer`."""

# No `from __future__ import annotations`: FastAPI reads these annotations.

from typing import Annotated, cast

from fastapi import Depends, Request

from vigil.api import access
from vigil.api.access import Need, Session
from vigil.shells.web.kit import Console, Refused


def console(request: Request) -> Console:
    """The console that `install` put on the app's state."""
    return cast(Console, request.app.state.console)


ConsoleDep = Annotated[Console, Depends(console)]


def reader(request: Request, c: ConsoleDep) -> Session:
    """A signed-in session, whatever its role."""
    return c.reader(request)


Reader = Annotated[Session, Depends(reader)]


def _permitted(session: Session, need: Need) -> Session:
    if not access.permits(session.principal.role, need):
        raise Refused(f"{session.principal.user} ({session.principal.role}) may not {need} here")
    return session


def writer(session: Reader) -> Session:
    """A session whose role may change findings, rules and deliveries."""
    return _permitted(session, Need.WRITE)


def configurer(session: Reader) -> Session:
    """A session whose role may change the server's configuration."""
    return _permitted(session, Need.CONFIGURE)


Writer = Annotated[Session, Depends(writer)]
Configurer = Annotated[Session, Depends(configurer)]
