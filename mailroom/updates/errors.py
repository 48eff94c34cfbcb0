"""What can go wrong checking, verifying and installing an update, and what to do about it.

python-tuf's exceptions never leave :mod:`mailroom.updates.channel`: they become these, each with a
Spanish message for the person at the PC (or in the scheduled task's log) and a stable ``code``.
Every refusal means nothing was run and nothing downloaded was kept.
"""

from __future__ import annotations

from mailroom.errors import OficialiaError

_TELL_IT = "avise al área de informática del estado"


class UpdateError(OficialiaError):
    code = "actualizacion"


class ChannelUnreachable(UpdateError):
    """The channel did not answer, or answered with an HTTP error: try again later."""

    code = "canal_inalcanzable"
    retryable = True
    exit_code = 75

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"No se pudo consultar el canal de actualizaciones ({url}): {reason}. Revise la "
            "conexión de red del equipo y vuelva a intentarlo más tarde; si sigue igual, "
            f"{_TELL_IT}.",
            url=url,
            reason=reason,
        )


class MetadataExpired(UpdateError):
    """Signed metadata past its expiry: the channel was not renewed, or someone replays it."""

    code = "metadatos_vencidos"

    def __init__(self, role: str) -> None:
        super().__init__(
            f"La información firmada del canal de actualizaciones está vencida ({role}); no se "
            "instaló nada. El canal no se renovó a tiempo o alguien reenvía datos viejos: "
            f"{_TELL_IT}.",
            role=role,
        )


class RollbackRefused(UpdateError):
    """The channel served metadata older than what this PC already trusted."""

    code = "reversion_rechazada"
    exit_code = 2

    def __init__(self, detail: str) -> None:
        super().__init__(
            "El canal de actualizaciones entregó información más antigua que la que este equipo "
            "ya había recibido; se rechazó y no se instaló nada (alguien podría intentar "
            f"instalar una versión vieja). {_TELL_IT.capitalize()}.",
            detail=detail,
        )


class BadSignature(UpdateError):
    """Metadata not signed by enough of the keys the trusted root names."""

    code = "firma_invalida"
    exit_code = 2

    def __init__(self, detail: str) -> None:
        super().__init__(
            "La información del canal de actualizaciones no trae una firma válida de las llaves "
            f"del estado; se rechazó y no se instaló nada. {_TELL_IT.capitalize()}.",
            detail=detail,
        )


class HashMismatch(UpdateError):
    """The downloaded installer is not the one the state signed (length or SHA-256)."""

    code = "instalador_alterado"
    exit_code = 2

    def __init__(self, target: str, detail: str) -> None:
        super().__init__(
            f"El instalador descargado ({target}) no es el que firmó el estado: su tamaño o su "
            "huella SHA-256 no coinciden. Se borró sin ejecutarlo. Vuelva a intentarlo más tarde; "
            f"si se repite, {_TELL_IT}.",
            target=target,
            detail=detail,
        )


class InvalidChannel(UpdateError):
    """The channel's metadata is malformed or inconsistent in a way none of the above names."""

    code = "canal_invalido"
    exit_code = 2

    def __init__(self, detail: str) -> None:
        super().__init__(
            "La información del canal de actualizaciones no es válida; se rechazó y no se "
            f"instaló nada. {_TELL_IT.capitalize()} (detalle: {detail}).",
            detail=detail,
        )


class UpdateBusy(UpdateError):
    """Another ``oficialia actualizar`` works on the same data folder right now."""

    code = "actualizacion_en_curso"
    retryable = True
    exit_code = 75


class InstallerFailed(UpdateError):
    """The verified installer could not be started, or ended with an error."""

    code = "instalador_fallido"


class UnsupportedPlatform(UpdateError):
    """Installing through the channel is for Windows; Linux upgrades come through apt."""

    code = "plataforma_sin_instalador"
    exit_code = 69
