"""The look of ``mianshi ui``: a theme of our own (calm slate and blue, CJK-first fonts that ship with
the system, light and dark) and the style sheet of the layout (``theme.css`` beside this file).

No font or style is fetched from the network: the fonts are names the browser resolves locally
(Debian's ``fonts-noto-cjk`` first), never ``GoogleFont``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import gradio as gr

FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "system-ui",
         "sans-serif")
MONO = ("Noto Sans Mono CJK SC", "DejaVu Sans Mono", "ui-monospace", "monospace")
CSS_FILE = Path(__file__).with_name("theme.css")


def theme() -> gr.themes.Base:
    """Slate neutrals with a quiet blue accent; body text at 15 px with generous line height."""
    base = gr.themes.Base(primary_hue=gr.themes.colors.blue, secondary_hue=gr.themes.colors.slate,
                          neutral_hue=gr.themes.colors.slate, radius_size=gr.themes.sizes.radius_md,
                          text_size=gr.themes.sizes.text_md, spacing_size=gr.themes.sizes.spacing_md,
                          font=list(FONTS), font_mono=list(MONO))
    return base.set(
        body_background_fill="*neutral_50", body_background_fill_dark="*neutral_950",
        body_text_color="*neutral_800", body_text_color_dark="*neutral_100",
        body_text_color_subdued="*neutral_500", body_text_color_subdued_dark="*neutral_400",
        background_fill_primary="white", background_fill_primary_dark="*neutral_900",
        background_fill_secondary="*neutral_100", background_fill_secondary_dark="*neutral_800",
        block_background_fill="white", block_background_fill_dark="*neutral_900",
        block_border_color="*neutral_200", block_border_color_dark="*neutral_700",
        block_label_text_color="*neutral_600", block_label_text_color_dark="*neutral_300",
        block_title_text_color="*neutral_700", block_title_text_color_dark="*neutral_200",
        block_shadow="none", block_shadow_dark="none",
        input_background_fill="white", input_background_fill_dark="*neutral_800",
        input_border_width="1px", input_border_color="*neutral_300", input_border_color_dark="*neutral_600",
        input_border_color_focus="*primary_400", input_border_color_focus_dark="*primary_400",
        border_color_primary="*neutral_200", border_color_primary_dark="*neutral_700",
        button_primary_background_fill="*primary_600", button_primary_background_fill_dark="*primary_500",
        button_primary_background_fill_hover="*primary_700", button_primary_background_fill_hover_dark="*primary_400",
        button_primary_text_color="white", button_primary_text_color_dark="white",
        button_secondary_background_fill="*neutral_100", button_secondary_background_fill_dark="*neutral_700",
        button_secondary_background_fill_hover="*neutral_200", button_secondary_background_fill_hover_dark="*neutral_600",
        button_cancel_background_fill="white", button_cancel_background_fill_dark="*neutral_800",
        button_cancel_text_color="#b91c1c", button_cancel_text_color_dark="#fca5a5",
        button_cancel_border_color="#fca5a5", button_cancel_border_color_dark="#b91c1c",
        button_cancel_background_fill_hover="#fef2f2", button_cancel_background_fill_hover_dark="#450a0a",
        slider_color="*primary_500", slider_color_dark="*primary_400",
        link_text_color="*primary_700", link_text_color_dark="*primary_300",
        color_accent_soft="*primary_50", color_accent_soft_dark="*neutral_800",
        body_text_size="15px", prose_text_size="15px",
    )


@cache
def css() -> str:
    return CSS_FILE.read_text(encoding="utf-8")
