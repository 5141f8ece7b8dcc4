"""The title screen: scenario, role(s), opponents' agents, seed, umpire; resume or load a save."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, OptionList, Select, SelectionList, Static
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from endgame_game.engine.model import CompiledModel
from endgame_game.errors import EndgameError, RulesetError
from endgame_game.rules.registry import RulesetInfo, list_rulesets
from endgame_game.tui.messages import LoadRequested, StartRequested
from endgame_game.tui.session import DEFAULT_RULESET, agent_choices

_MODELS: dict[str, CompiledModel | str] = {}


def load_model(info: RulesetInfo) -> CompiledModel | str:
    """The compiled ruleset, or the error text (cached: switching scenarios stays quick)."""
    key = str(info.path)
    if key not in _MODELS:
        try:
            _MODELS[key] = CompiledModel.load(info.path)
        except RulesetError as e:
            _MODELS[key] = "This ruleset has errors:\n" + "\n".join(str(i) for i in e.issues[:5])
        except (EndgameError, OSError) as e:
            _MODELS[key] = f"This ruleset cannot be loaded: {e}"
    return _MODELS[key]


class TitleScreen(Screen[None]):
    BINDINGS = [
        Binding("p", "play", "Play"),
        Binding("r", "resume", "Resume autosave"),
        Binding("l", "load", "Load save"),
    ]

    def __init__(self, rulesets: list[RulesetInfo] | None = None, seed: int = 0, preselect: str | None = None,
                 umpire: bool = False) -> None:
        super().__init__()
        self.umpire = umpire
        self.rulesets = rulesets if rulesets is not None else list_rulesets()
        self.seed = seed
        ids = [r.id for r in self.rulesets]
        want = preselect if preselect in ids else DEFAULT_RULESET if DEFAULT_RULESET in ids else None
        self.current: RulesetInfo | None = self.rulesets[ids.index(want)] if want else (self.rulesets[0] if self.rulesets else None)

    def compose(self) -> ComposeResult:
        with Vertical(id="title"):
            yield Static(Text("ENDGAME", style="bold") + Text("  a strategy wargame · choose a scenario and your role",
                                                             style="dim"), id="title-banner")
            with Horizontal(id="title-main"):
                with Vertical(id="scenario-col"):
                    yield Label("Scenario", classes="section")
                    yield OptionList(*[Option(Text(r.title or r.id), id=r.id) for r in self.rulesets], id="scenario-list")
                with Vertical(id="role-col"):
                    yield Label("Your role — tick one; tick several for hot-seat", classes="section")
                    yield SelectionList[str](id="role-list")
                    yield Label("Opponents (AI)", classes="section")
                    with VerticalScroll(id="opponents"):
                        pass
            with Horizontal(id="title-options"):
                yield Label("Seed", classes="inline-label")
                yield Input(str(self.seed), id="seed", type="integer", compact=True)
                yield Checkbox("Umpire controls", self.umpire, id="umpire", compact=True)
                yield Input(password=True, placeholder="umpire passphrase", id="umpire-pass", compact=True)
            with Horizontal(id="title-class"):
                # The class format: a shorter game and a per-team turn timer (0 = none).
                yield Label("Turns", classes="inline-label")
                yield Input("", placeholder="all", id="turns", type="integer", compact=True)
                yield Label("Turn timer (s)", classes="inline-label")
                yield Input("", placeholder="none", id="turn-timer", type="integer", compact=True)
            with Horizontal(classes="buttons"):
                yield Button("Play (p)", variant="primary", id="play", compact=True)
                yield Button("Resume autosave (r)", id="resume", compact=True)
                yield Button("Load save (l)", id="load", compact=True)
                yield Button("Quit (q)", id="quit", compact=True)
        yield Footer()

    async def on_mount(self) -> None:
        lst = self.query_one("#scenario-list", OptionList)
        if self.current is not None:
            lst.highlighted = [r.id for r in self.rulesets].index(self.current.id)
            await self._show_roles()
        else:
            self.notify("No rulesets found: put a ruleset in ./rulesets or use `endgame play FILE`.", severity="error")
        self.query_one("#role-list").focus()

    @on(OptionList.OptionHighlighted, "#scenario-list")
    async def _scenario(self, event: OptionList.OptionHighlighted) -> None:
        ids = [r.id for r in self.rulesets]
        if event.option.id in ids:
            new = self.rulesets[ids.index(event.option.id)]
            if new is not self.current:
                self.current = new
                await self._show_roles()

    def _model(self) -> CompiledModel | str:
        if self.current is None:
            return "no scenario"
        return load_model(self.current)

    async def _show_roles(self) -> None:
        roles = self.query_one("#role-list", SelectionList)
        roles.clear_options()
        model = self._model()
        if isinstance(model, str):
            self.notify(model, title="Scenario", severity="error")
            await self._show_opponents()
            return
        for i, a in enumerate(model.playable):
            actor = model.ruleset.actors[a]
            prompt = Text.assemble((actor.name, "bold"), (f" — {actor.summary}" if actor.summary else "", "dim"))
            roles.add_option(Selection(prompt, a, initial_state=(i == 0)))
        if model.playable:
            roles.highlighted = 0
        await self._show_opponents()

    @on(SelectionList.SelectedChanged, "#role-list")
    async def _roles_changed(self) -> None:
        await self._show_opponents()

    async def _show_opponents(self) -> None:
        box = self.query_one("#opponents", VerticalScroll)
        await box.remove_children()
        model = self._model()
        if isinstance(model, str):
            await box.mount(Static(model, classes="error"))
            return
        humans = set(self.query_one("#role-list", SelectionList).selected)
        rows = []
        for a in model.playable:
            if a in humans:
                continue
            choices = agent_choices(model, a)
            rows.append(Horizontal(Label(model.ruleset.actors[a].name, classes="inline-label"),
                                   Select(choices, value=choices[0][1], allow_blank=False, compact=True,
                                          id=f"agent-{a}", classes="agent-select"), classes="agent-row"))
        if rows:
            await box.mount_all(rows)
        else:
            await box.mount(Static("Every role is played by a human (hot-seat).", classes="dim"))

    def agents(self) -> dict[str, str]:
        out = {}
        for sel in self.query(".agent-select").results(Select):
            if sel.id and isinstance(sel.value, str):
                out[sel.id.removeprefix("agent-")] = sel.value
        return out

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        action = {"play": "play", "resume": "resume", "load": "load", "quit": "app.quit"}[event.button.id or "play"]
        await self.run_action(action)

    def action_play(self) -> None:
        model = self._model()
        if self.current is None or isinstance(model, str):
            self.notify("Choose a scenario that loads.", severity="error")
            return
        humans = list(self.query_one("#role-list", SelectionList).selected)
        humans = [h for h in model.playable if h in humans]
        if not humans:
            self.notify("Tick at least one role to play.", severity="warning")
            return
        try:
            seed = int(self.query_one("#seed", Input).value or "0")
        except ValueError:
            self.notify("The seed must be a whole number.", severity="error")
            return
        umpire = self.query_one("#umpire", Checkbox).value
        turns_text = self.query_one("#turns", Input).value.strip()
        timer_text = self.query_one("#turn-timer", Input).value.strip()
        try:
            turns = int(turns_text) if turns_text else None
            timer = float(timer_text) if timer_text else None
        except ValueError:
            self.notify("Turns and the turn timer are whole numbers.", severity="error")
            return
        if turns is not None and not 1 <= turns <= model.max_turns:
            self.notify(f"Turns: 1 to {model.max_turns} for this scenario.", severity="error")
            return
        if timer is not None and timer < 0:
            self.notify("The turn timer is a number of seconds (0: none).", severity="error")
            return
        passphrase = self.query_one("#umpire-pass", Input).value
        self.post_message(StartRequested(str(self.current.path), humans, self.agents(), seed, umpire, turns=turns,
                                         turn_timer=timer, umpire_pass=passphrase if umpire else ""))

    def action_resume(self) -> None:
        self.post_message(LoadRequested(None))

    async def action_load(self) -> None:
        await self.app.run_action("load")
