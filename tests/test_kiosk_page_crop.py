"""The sheet in a document camera's photo: found, levelled and cropped, or refused in words a
citizen can act on. Photos are generated (``tests/camera_frames.py``): a dark wooden desk, a
white sheet with text turned on it, a pen beside it, uneven light."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from kiosk.page_crop import CroppedPage, PhotoError, crop_page
from tests.camera_frames import desk_photo, lean_of


@pytest.mark.parametrize(
    ("tilt", "centre"), [(-8.0, (0.42, 0.52)), (0.0, (0.35, 0.5)), (5.0, (0.6, 0.47))]
)
def test_the_sheet_is_found_levelled_and_cropped_to_its_edges(
    tilt: float, centre: tuple[float, float]
) -> None:
    photo = desk_photo(tilt=tilt, centre=centre, seed=round(tilt) + 20)

    cropped = crop_page(photo.image)

    assert isinstance(cropped, CroppedPage)
    assert cropped.angle == pytest.approx(-tilt, abs=1.0)
    true_width = photo.page_box[2] - photo.page_box[0]
    true_height = photo.page_box[3] - photo.page_box[1]
    for found, true, side in zip(
        cropped.box, photo.page_box, (true_width, true_height) * 2, strict=True
    ):
        assert abs(found - true) <= 0.02 * side, (cropped.box, photo.page_box)
    assert cropped.image.width == pytest.approx(photo.page_size[0], rel=0.03)
    assert cropped.image.height == pytest.approx(photo.page_size[1], rel=0.03)
    assert abs(lean_of(cropped.image)) <= 0.5


def test_the_lean_measure_sees_a_sheet_that_was_not_levelled() -> None:
    """The check above can fail: the same sheet cut out without turning leans as it lay."""
    photo = desk_photo(tilt=5.0, seed=3)
    unturned = photo.image.crop(photo.page_box)
    assert lean_of(unturned) == pytest.approx(-5.0, abs=0.5)


def test_the_cropped_sheet_has_no_desk_along_its_edges() -> None:
    """A dark line on a page's edge is what OCR reads as a stray letter."""
    page = crop_page(desk_photo(tilt=-8.0, seed=4).image).image.convert("L")
    edges = [
        page.crop((0, 0, page.width, 2)),
        page.crop((0, page.height - 2, page.width, page.height)),
        page.crop((0, page.height // 10, 2, page.height * 9 // 10)),
        page.crop((page.width - 2, page.height // 10, page.width, page.height * 9 // 10)),
    ]
    assert all(edge.getextrema()[0] > 150 for edge in edges), [e.getextrema() for e in edges]


def test_a_grey_photo_gives_a_grey_sheet() -> None:
    photo = desk_photo(tilt=3.0, seed=5)
    cropped = crop_page(photo.image.convert("L"))
    assert cropped.image.mode == "L" and cropped.angle == pytest.approx(-3.0, abs=1.0)


def test_a_turned_photo_of_a_sheet_reads_after_cropping() -> None:
    pytesseract = pytest.importorskip("pytesseract")
    photo = desk_photo(tilt=7.0, seed=6, word="ESCRITO")

    cropped = crop_page(photo.image)

    text = pytesseract.image_to_string(cropped.image, lang="spa")
    assert "ESCRITO" in text, text


def test_a_full_hd_photo_is_cropped_quickly() -> None:
    photo = desk_photo(size=(1920, 1080), tilt=-6.0, seed=7)
    crop_page(photo.image)  # the first call pays for imports and caches
    started = time.perf_counter()
    crop_page(photo.image)
    elapsed = time.perf_counter() - started
    print(f"crop_page, 1920×1080: {elapsed * 1000:.0f} ms")
    assert elapsed < 2.0


# ---- refusals ------------------------------------------------------------------------------


def refusal(photo: object, **options: int) -> PhotoError:
    with pytest.raises(PhotoError) as raised:
        crop_page(photo, **options)  # type: ignore[arg-type]
    return raised.value


def test_a_covered_camera_shows_no_sheet() -> None:
    covered = Image.effect_noise((1280, 720), 6).point(lambda value: value // 8).convert("RGB")
    error = refusal(covered)
    assert str(error) == (
        "No se ve una hoja completa en la foto. Coloque la hoja dentro del recuadro y vuelva a "
        "tomarla."
    )
    assert error.details["reason"] == "sin_contraste" and not error.retryable


def test_an_empty_desk_shows_no_sheet() -> None:
    empty = desk_photo(seed=8, with_sheet=False).image  # the pen is the brightest thing there
    error = refusal(empty)
    assert str(error).startswith("No se ve una hoja completa en la foto.")
    assert error.details["reason"] == "sin_hoja"


def test_a_bright_shape_that_is_not_a_sheet_is_not_taken_for_one() -> None:
    photo = desk_photo(seed=13, with_sheet=False).image
    ImageDraw.Draw(photo).polygon([(500, 100), (1400, 950), (450, 980)], fill=(240, 240, 236))
    error = refusal(photo)
    assert str(error).startswith("No se ve una hoja completa en la foto.")
    assert error.details["reason"] == "sin_forma_de_hoja"


def test_a_sheet_running_off_three_sides_is_not_all_in_view() -> None:
    photo = desk_photo(page_size=(1400, 1300), centre=(0.25, 0.5), seed=9)
    error = refusal(photo.image)
    assert str(error) == (
        "La hoja se sale de la foto. Colóquela completa dentro del recuadro y vuelva a tomarla."
    )
    assert error.details["reason"] == "hoja_cortada"


def test_a_sheet_far_from_the_camera_is_too_small() -> None:
    photo = desk_photo(page_size=(300, 390), tilt=4.0, seed=10)
    error = refusal(photo.image)
    assert str(error) == (
        "La hoja se ve muy pequeña en la foto. Colóquela dentro del recuadro, debajo de la "
        "cámara, y vuelva a tomarla."
    )
    assert error.details["reason"] == "hoja_pequena"


def test_a_photo_over_the_size_limit_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "foto.png"
    desk_photo(seed=11).image.save(path)
    path.write_bytes(path.read_bytes()[:4000])  # the pixels could not even be decoded
    with Image.open(path) as lazy:
        error = refusal(lazy, max_megapixels=1)
    assert str(error) == (
        "La foto es muy grande: tiene 2 megapíxeles y el máximo es 1. Pida ayuda en la ventanilla."
    )
    assert error.details["reason"] == "demasiado_grande"


def test_a_damaged_photo_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "foto.png"
    desk_photo(seed=12).image.save(path)
    path.write_bytes(path.read_bytes()[:4000])
    with Image.open(path) as lazy:
        error = refusal(lazy)
    assert str(error) == "No se pudo leer la foto. Vuelva a tomarla."
    assert error.details["reason"] == "no_se_pudo_leer"


def test_something_that_is_not_an_image_is_refused() -> None:
    error = refusal(b"\x89PNG not really")
    assert str(error) == "No se pudo leer la foto. Vuelva a tomarla."
    assert error.details["reason"] == "no_es_imagen"
