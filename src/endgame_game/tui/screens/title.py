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

from endgame_game.ai.ladder import DEFAULT_LEVEL, LEVELS, Level, describe, level, read_shares, spec_for
from endgame_game.ai.tuned import has_policy
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


def opponent_choices(model: CompiledModel, actor: str) -> list[tuple[str, str]]:
    """(label, spec) of the agents on offer for an AI role: its doctrines by label with their blurb,
    a doctrine drawn per game, the tuned policy where the ruleset has one, lookahead, random."""
    out = []
    docs = model.ruleset.doctrines.get(actor, {})
    for label, spec in agent_choices(model, actor):
        kind, _, name = spec.partition(":")
        if kind == "doctrine" and name in docs:
            d = docs[name]
            label = (d.label or name) + (f" — {d.doc}" if d.doc else "")
        elif spec == "lookahead" and has_policy(model, actor):
            out.append(("Tuned — a policy tuned by simulation, at doctrine speed", "tuned"))
            out.append(("Search — plays the tuned policy's options out to the end, keeps the best (slower)", "rollout"))
            label = "Lookahead — tries each move a few turns ahead (slower)"
        elif spec == "lookahead":
            label = "Lookahead — " + label.removeprefix("lookahead: ")
        elif spec == "random":
            label = "Random — legal moves at random"
        elif spec == "mixed":
            label = "Mixed — one of its doctrines, drawn for this game"
        out.append((label, spec))
    return [(f"{difficulty_word(spec)} · {label}", spec) for label, spec in out]


def difficulty_word(spec: str) -> str:
    """The difficulty level an agent plays at (``ai.ladder``): random is easy, the ruleset's doctrines
    normal, the tuned policy and lookahead hard, search over the tuned policy expert."""
    tier = spec.partition(":")[0]
    words = {lv.tier: lv.id for lv in LEVELS}
    words.update({"doctrine": "normal", "lookahead": "hard"})
    return words.get(tier, "normal")


def _choice(choices: list[tuple[str, str]], spec: str) -> str:
    """``spec`` if it is on offer; plain ``doctrine`` is the first doctrine offered."""
    values = [v for _, v in choices]
    if spec in values:
        return spec
    if spec == "doctrine":
        return next((v for v in values if v.startswith("doctrine:")), values[0])
    return values[0]


def you_play(model: CompiledModel, humans: set[str]) -> Text:
    """``You play: Kyiv · AI plays: Moscow, Washington, Brussels`` (the ticked roles, said in words)."""
    mine = [model.ruleset.actors[a].name for a in model.playable if a in humans]
    ai = [model.ruleset.actors[a].name for a in model.playable if a not in humans]
    if not mine:
        return Text("No role ticked: tick the one you play (space).", style="bold red")
    head = "You play: " if len(mine) == 1 else "Hot-seat, people play: "
    t = Text.assemble((head, "bold"), (", ".join(mine), "bold green"))
    if ai:
        t.append(" · AI plays: " + ", ".join(ai), style="dim")
    return t


def agent_short(choices: list[tuple[str, str]], spec: str) -> str:
    """``normal · Hawk — presses the offensive`` → ``Hawk (normal)``: an opponent in a few words."""
    label = next((lb for lb, v in choices if v == spec), spec)
    level_word, _, rest = label.partition(" · ")
    name = (rest or level_word).split(" — ")[0].strip()
    return f"{name} ({level_word})" if rest else name


def role_prompt(model: CompiledModel, actor: str, human: bool, agent: str = "") -> Text:
    """A role's line in the role list, saying whose it is: ``Kyiv — you play · Hold the line…`` when
    ticked, ``Kyiv — AI: Mixed (normal) · Hold the line…`` when not (the tick alone looks alike in
    many terminals)."""
    a = model.ruleset.actors[actor]
    if human:
        t = Text.assemble((a.name, "bold"), (" — you play", "bold green"))
    else:
        t = Text.assemble((a.name, ""), (f" — AI: {agent}" if agent else " — AI", "yellow"))
    if a.summary:
        t.append(f" · {a.summary}", style="dim")
    return t


class TitleScreen(Screen[None]):
    BINDINGS = [
        Binding("p", "play", "Play"),
        Binding("r", "resume", "Resume autosave"),
        Binding("l", "load", "Load save"),
    ]

    def __init__(self, rulesets: list[RulesetInfo] | None = None, seed: int = 0, preselect: str | None = None,
                 umpire: bool = False, guided: bool = False) -> None:
        super().__init__()
        self.umpire, self.guided = umpire, guided
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
                    yield Static("", id="scenario-info", classes="dim")
                    yield Label("Your role — tick one; tick several for hot-seat", classes="section")
                    yield SelectionList[str](id="role-list")
                    yield Static("", id="you-play")
                    yield Label("Opponents (AI) and how hard each plays", classes="section")
                    with VerticalScroll(id="opponents", can_focus=False):
                        pass
            with Horizontal(id="title-options"):
                yield Label("Difficulty", classes="inline-label")
                yield Select([(lv.id, lv.id) for lv in LEVELS], value=DEFAULT_LEVEL, allow_blank=False, compact=True,
                             id="difficulty")
                yield Label("  Seed", classes="inline-label")
                yield Input(str(self.seed), id="seed", type="integer", compact=True)
                yield Checkbox("Umpire controls", self.umpire, id="umpire", compact=True)
            yield Static("", id="difficulty-info", classes="dim")
            with Horizontal(id="title-class"):
                yield Checkbox("Guided game", self.guided, id="guided", compact=True)
                # The class format: a shorter game and a per-team turn timer (0 = none).
                yield Label(" Turns", classes="inline-label")
                yield Input("", placeholder="all", id="turns", type="integer", compact=True)
                yield Label("Turn timer (s)", classes="inline-label")
                yield Input("", placeholder="none", id="turn-timer", type="integer", compact=True)
                yield Input(password=True, placeholder="umpire passphrase", id="umpire-pass", compact=True)
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
        self.query_one("#scenario-info", Static).update(self.current.description if self.current else "")
        model = self._model()
        if isinstance(model, str):
            self.notify(model, title="Scenario", severity="error")
            await self._show_opponents()
            return
        for i, a in enumerate(model.playable):
            roles.add_option(Selection(role_prompt(model, a, i == 0), a, initial_state=(i == 0)))
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
        self.query_one("#you-play", Static).update(you_play(model, humans))
        lv = level(str(self.query_one("#difficulty", Select).value))
        rows = []
        for a in model.playable:
            if a in humans:
                continue
            choices = opponent_choices(model, a)
            rows.append(Horizontal(Label(model.ruleset.actors[a].name, classes="inline-label"),
                                   Select(choices, value=_choice(choices, spec_for(model, a, lv)), allow_blank=False,
                                          compact=True, id=f"agent-{a}", classes="agent-select"), classes="agent-row"))
        if rows:
            await box.mount_all(rows)
        else:
            await box.mount(Static("Every role is played by a human (hot-seat).", classes="dim"))
        self._describe_level(model, lv, humans)
        self._show_whose()

    def _show_whose(self) -> None:
        """Each role's line says who plays it: you, or which AI (kept in step with the opponents' choices)."""
        model = self._model()
        if isinstance(model, str):
            return
        roles = self.query_one("#role-list", SelectionList)
        humans = set(roles.selected)
        agents = self.agents()
        for i, a in enumerate(model.playable):
            if i >= roles.option_count:
                break
            agent = agent_short(opponent_choices(model, a), agents[a]) if a in agents and a not in humans else ""
            roles.replace_option_prompt_at_index(i, role_prompt(model, a, a in humans, agent))

    @on(Select.Changed, ".agent-select")
    def _agent_changed(self) -> None:
        self._show_whose()

    def _describe_level(self, model: CompiledModel, lv: Level, humans: set[str]) -> None:
        ai = {a: "" for a in model.playable if a not in humans}
        self.query_one("#difficulty-info", Static).update(describe(model, lv, ai, read_shares(model)))

    @on(Select.Changed, "#difficulty")
    def _difficulty(self, event: Select.Changed) -> None:
        model = self._model()
        if isinstance(model, str):
            return
        lv = level(str(event.value))
        for sel in self.query(".agent-select").results(Select):
            role = (sel.id or "").removeprefix("agent-")
            if role in model.actor_index:
                sel.value = _choice([(str(p), str(v)) for p, v in sel._options], spec_for(model, role, lv))  # noqa: SLF001 - a library's internals, deliberately
        self._describe_level(model, lv, set(self.query_one("#role-list", SelectionList).selected))

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
                                         turn_timer=timer, umpire_pass=passphrase if umpire else "",
                                         guided=self.query_one("#guided", Checkbox).value))

    def action_resume(self) -> None:
        self.post_message(LoadRequested(None))

    async def action_load(self) -> None:
        await self.app.run_action("load")
