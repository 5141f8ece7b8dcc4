"""Modal dialogs that return typed values (``ModalScreen[T]`` + ``dismiss``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

T = TypeVar("T")


class ConfirmDialog(ModalScreen[bool]):
    """Yes or no. Enter/y confirms, Escape/n cancels."""

    BINDINGS = [Binding("escape,n", "answer(False)", "No"), Binding("y", "answer(True)", "Yes")]

    def __init__(self, title: str, body: str = "", yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self.title_text, self.body, self.yes, self.no = title, body, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.body:
                yield Static(self.body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="primary", id="yes")
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class _FormDialog(ModalScreen[T]):
    """A form: Enter in a field or the OK button submits (``_submit`` checks, then dismisses with the
    value); Escape or Cancel dismisses with None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def _submit(self) -> None:
        """Check the fields and dismiss with the form's value; each form overrides this."""
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextDialog(_FormDialog[str | None]):
    """One line of text; refuses an empty answer when ``required``."""

    def __init__(self, title: str, value: str = "", placeholder: str = "", required: bool = True) -> None:
        super().__init__()
        self.title_text, self.value, self.placeholder, self.required = title, value, placeholder, required

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, id="text")
            yield Label("", id="error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    def _submit(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        if self.required and not text:
            self.query_one("#error", Label).update("This cannot be empty.")
            return
        self.dismiss(text)



class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of ``(id, label)`` options (events to inject, turns to rewind to, saves to load)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, options: Sequence[tuple[str, str]], note: str = "") -> None:
        super().__init__()
        self.title_text, self.options, self.note = title, list(options), note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(self.title_text, classes="dialog-title")
            if self.note:
                yield Static(self.note, classes="dialog-body")
            if self.options:
                yield OptionList(*[Option(label, id=oid) for oid, label in self.options], id="choices")
            else:
                yield Static("Nothing to choose from.", classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AdjustDialog(_FormDialog[tuple[str, float, str] | None]):
    """Umpire: a value, its new number and a reason (all required)."""

    def __init__(self, targets: Sequence[tuple[str, str]], current: dict[str, float]) -> None:
        super().__init__()
        self.targets, self.current = list(targets), current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label("Adjust a value (logged with your reason)", classes="dialog-title")
            yield Select([(label, t) for t, label in self.targets], prompt="Value to adjust", id="target")
            yield Input(placeholder="new value", id="value")
            yield Input(placeholder="reason (required), e.g. the team argued a good case", id="reason")
            yield Label("", id="error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Adjust", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_select_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value in self.current:
            self.query_one("#value", Input).value = f"{self.current[event.value]:.6g}"

    def _submit(self) -> None:
        err = self.query_one("#error", Label)
        target = self.query_one("#target", Select).value
        if not isinstance(target, str):
            err.update("Choose a value to adjust.")
            return
        try:
            value = float(self.query_one("#value", Input).value)
        except ValueError:
            err.update("The new value must be a number.")
            return
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            err.update("Give a reason: every adjustment is logged with it.")
            return
        self.dismiss((target, value, reason))

