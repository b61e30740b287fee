"""Sliders. A slider panel is a plain function plus a one-line wrapper.

The pattern every lesson follows::

    def explore_capacity(width=64, depth=2) -> Figure:        # plain, tested headless
        ...
    def explore_capacity_panel():                              # the classroom slider
        return slider_panel(explore_capacity, width=int_slider("width", 64, 8, 512, 8), ...)

`slider_panel` redraws when a slider is released (not while it moves); with
``manual=True`` a "Run" button starts the (slower) function instead.

Why the figure is not inside an ``Output`` widget: ``ipywidgets.interact`` draws its first
figure while the cell runs, captured by an Output widget. Headless executors (nbclient,
hence ``jupyter nbconvert --execute``, papermill, nbval) imitate that widget by sending a
comm message to the kernel on the shell channel for every captured output, while they
wait for the cell's reply on that same channel; now and then the reply is never noticed
and the run hangs with kernel and executor both idle (jupyter/nbclient#312,
jupyter/nbconvert#2029). A `Panel` therefore shows its figure as the cell's own output,
with a display id, and a redraw replaces that output in place (``update_display``): no
output is ever captured while a cell executes. Its Output widget only collects what a
redraw started from the browser prints (progress bars, live plots).

Dashboards (Voila, `course_utils.classroom`) are the exception: Voila shows a cell's
outputs as they were when the cell ran, so a redraw there must land in a widget.
`use_output_widget()` switches every panel to it: the figure is put into the panel's
Output widget as widget state (``Output.append_display_data``), which again captures
nothing while a cell executes.
"""
from __future__ import annotations

import inspect
import math
import uuid
from collections.abc import Callable, Mapping

import ipywidgets as widgets
from ipywidgets import fixed  # noqa: F401 - re-exported: bind an argument that should not be a control

from .config import cpu_threads, slider_threads

_TRACK_WIDTH = "300px"  # the slider track (or drop-down) itself, after the label
_IN_OUTPUT_WIDGET = False  # see `use_output_widget`


def use_output_widget(on: bool = True) -> None:
    """Show every panel's figure inside its Output widget (dashboards) instead of as a cell output.

    Voila renders a cell's outputs once; only widgets change afterwards. A lesson in
    JupyterLab keeps the default (``on=False``), whose figures also survive in saved and
    rendered notebooks.
    """
    global _IN_OUTPUT_WIDGET
    _IN_OUTPUT_WIDGET = bool(on)


class PanelMessage:
    """One line shown in place of the figure: why it cannot be drawn (``error``), or a hint."""

    def __init__(self, text: str, error: bool = True) -> None:
        self.text, self.error = text, error

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        import html

        style = "color:#b8430b; font-weight:bold" if self.error else "color:#666666; font-style:italic"
        return f'<p style="{style}">{html.escape(self.text)}</p>'


def _one_line(error: Exception) -> str:
    """The error as one line that says what to change (a ValueError from `validation` names the control)."""
    text = " ".join(str(error).split()) or type(error).__name__
    prefix = "" if isinstance(error, ValueError) else f"{type(error).__name__}: "
    return f"Cannot draw with these settings: {prefix}{text}"


class Panel(widgets.interactive):
    """An `ipywidgets.interactive` whose result is shown as a cell output, not captured (see module doc).

    ``result`` is the function's last return value (None when it raised), ``message`` the one
    line shown instead when it raised (empty otherwise), ``kwargs`` the values it was called with.
    """

    def __init__(self, function: Callable, options: dict, *, draw_first: bool, **controls) -> None:
        self.message = ""
        self._display_id = f"panel-{uuid.uuid4().hex}"
        self._displayed = False
        self._in_output_widget = _IN_OUTPUT_WIDGET
        self._constructing = True
        super().__init__(function, {**options, "auto_display": True}, **controls)
        self._constructing = False
        if draw_first and self.manual:  # interactive only draws first when it is not manual
            self._call()

    # --- drawing -------------------------------------------------------------------------
    def _call(self) -> None:
        """Call the function with the controls' values; a raised error becomes ``message``."""
        self.kwargs = {widget._kwarg: widget.get_interact_value() for widget in self.kwargs_widgets}
        try:
            with cpu_threads(slider_threads()):  # responsive beside a busy core: see `slider_threads`
                self.result, self.message = self.f(**self.kwargs), ""
        except Exception as error:  # noqa: BLE001 - any error becomes one readable line, not a traceback
            self.result, self.message = None, _one_line(error)

    def shown(self):
        """What the panel shows under its controls: the figure, or the one-line message."""
        if self.message:
            return PanelMessage(self.message)
        if self.result is None:
            return PanelMessage("Choose the settings, then press Run." if self.manual else "", error=False)
        return self.result

    def update(self, *args) -> None:
        """Redraw (a control changed or Run was pressed); see the module docstring for why not `interactive`'s."""
        if self._constructing:  # the first draw of a non-manual panel: no capture, nothing shown yet
            self._call()
            return
        if self.manual:
            self.manual_button.disabled = True
        try:
            if _in_widget_callback():  # a browser moved a control: its prints and progress bars go to the panel
                self.out.clear_output()
                with self.out:
                    self._call()
            else:  # a cell is executing (or no kernel): never capture, see the module docstring
                self._call()
            if self._in_output_widget:
                self._show_in_output_widget(keep_printed=_in_widget_callback())
            elif self._displayed:
                from IPython.display import update_display

                update_display(self.shown(), display_id=self._display_id)
        finally:
            if self.manual:
                self.manual_button.disabled = False

    def _ipython_display_(self) -> None:
        """Show the controls, then the figure as an ordinary output that redraws replace."""
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)
        if self._in_output_widget:
            self._show_in_output_widget(keep_printed=False)
        else:
            display(self.shown(), display_id=self._display_id)
        self._displayed = True

    def _show_in_output_widget(self, keep_printed: bool) -> None:
        """Put the figure (or message) into the Output widget as state: nothing is captured."""
        if not keep_printed:  # what a redraw from the browser printed stays above the figure
            self.out.outputs = ()
        self.out.append_display_data(_as_image(self.shown()))

    def __repr__(self) -> str:
        return f"Panel({getattr(self.f, '__name__', 'function')}, controls={[w._kwarg for w in self.controls]})"

    @property
    def controls(self) -> list[widgets.ValueWidget]:
        """The controls a learner sees (values bound with ``fixed`` are not controls)."""
        return [widget for widget in self.kwargs_widgets if isinstance(widget, widgets.DOMWidget)]


def _as_image(shown):
    """A matplotlib figure as a PNG image (what the inline backend would show); anything else as it is."""
    from matplotlib.figure import Figure

    if not isinstance(shown, Figure):
        return shown
    import io

    from IPython.display import Image

    buffer = io.BytesIO()
    shown.savefig(buffer, format="png", bbox_inches="tight")
    return Image(data=buffer.getvalue(), format="png")


def _in_widget_callback() -> bool:
    """True while the kernel handles a message from a widget (a slider moved, Run pressed), not a cell."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    parent = shell.get_parent() if shell is not None and hasattr(shell, "get_parent") else None
    return bool(parent) and parent.get("header", {}).get("msg_type") == "comm_msg"


def _bind_unnamed_defaults(function: Callable, controls: dict) -> dict:
    """Every keyword argument that is not given a control keeps its default, as ``fixed``.

    Without this, ``interactive`` builds a slider from each remaining default (a ``seed`` or
    an ``n`` nobody asked to show, with a range made up from the default).
    """
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return controls
    unknown = set(controls) - set(parameters)
    if unknown and not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        raise ValueError(f"{getattr(function, '__name__', function)} has no argument(s) {sorted(unknown)}; "
                         f"its arguments are {list(parameters)}")
    bound = dict(controls)
    for name, parameter in parameters.items():
        if name not in bound and parameter.default is not inspect.Parameter.empty:
            bound[name] = widgets.fixed(parameter.default)
    return bound


def _align_labels(controls: list) -> None:
    """One label width for every control of a panel, so that the tracks line up."""
    shown = [c for c in controls if isinstance(c, widgets.DOMWidget) and getattr(c, "description", None) is not None]
    if not shown:
        return
    longest = max(len(c.description) for c in shown)
    label = f"{math.ceil(0.62 * longest) + 1}em"  # ~0.6 em per character of the default font
    for control in shown:
        if hasattr(control, "style") and hasattr(control.style, "description_width"):
            control.style.description_width = label
        control.layout = widgets.Layout(width=f"calc({label} + {_TRACK_WIDTH})")


def slider_panel(function: Callable, *, manual: bool = False, draw_first: bool | None = None,
                 **controls) -> Panel:
    """Sliders (or other controls) for the keyword arguments of ``function``.

    Only the keyword arguments given here become controls; every other one keeps its
    default. The function's return value (usually a figure) is shown below the controls and
    redrawn on every change; if the function raises, one line says what to change instead.
    ``draw_first`` (default: not ``manual``) draws once before the first change or Run.
    """
    panel = Panel(function, {"manual": manual, "manual_name": "Run"},
                  draw_first=(not manual) if draw_first is None else draw_first,
                  **_bind_unnamed_defaults(function, controls))
    _align_labels(list(panel.kwargs_widgets))
    return panel


def int_slider(description: str, value: int, low: int, high: int, step: int = 1) -> widgets.IntSlider:
    """An integer slider that updates on release."""
    return widgets.IntSlider(value=value, min=low, max=high, step=step, description=description,
                             continuous_update=False, style={"description_width": "initial"},
                             layout=widgets.Layout(width="420px"))


def float_slider(description: str, value: float, low: float, high: float, step: float = 0.01,
                 readout_format: str = ".2f") -> widgets.FloatSlider:
    """A float slider that updates on release (show its value in a title with `slider_text`)."""
    return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                               readout_format=readout_format, continuous_update=False,
                               style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))


LOG_READOUT = ".2g"


def log_slider(description: str, value: float, low: float, high: float,
               steps_per_decade: int = 4) -> widgets.FloatLogSlider:
    """A slider over powers of ten, from ``low`` to ``high`` (e.g. learning rates).

    Its readout has two significant digits: write the value in a title with `slider_text`
    (e.g. ``f"lr={slider_text(lr)}"``) so that title and slider agree.
    """
    return widgets.FloatLogSlider(value=value, base=10, min=math.log10(low), max=math.log10(high),
                                  step=1 / steps_per_decade, description=description, readout_format=LOG_READOUT,
                                  continuous_update=False, style={"description_width": "initial"},
                                  layout=widgets.Layout(width="420px"))


def slider_text(value: float, fmt: str = LOG_READOUT) -> str:
    """``value`` written as a slider's readout writes it (two significant digits by default)."""
    return format(value, fmt)


def choice(description: str, options, value=None) -> widgets.Dropdown:
    """A drop-down list. ``options``: values, ``(label, value)`` pairs, or a mapping label -> value.

    Give readable labels where the values are codes (``[("training loss", "train"), ...]``);
    ``value`` is a value, not a label.
    """
    options = list(options.items()) if isinstance(options, Mapping) else list(options)
    values = [option[1] if isinstance(option, tuple) else option for option in options]
    return widgets.Dropdown(options=options, value=values[0] if value is None else value,
                            description=description, style={"description_width": "initial"})
