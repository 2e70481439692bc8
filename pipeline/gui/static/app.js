// gomoku-zero's page: a board to play on, the engine's analysis, and a run's training curves.
// It talks only to its own server's /api/ (JSON); the server decides what is legal and the page
// shows its {"error": ...} answers. A point is row * width + col, row 0 drawn at the bottom.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const CELL = 60;     // SVG units between two lines of the board
const MARGIN = 44;   // room for the coordinates
const MAX_LABELS = 12;  // analysis: at most this many moves get their visits and Q written
const CURVE_NAMES = {
  loss: "loss", entropy: "policy entropy", kl: "KL (old → new policy)",
  lr_multiplier: "learning-rate multiplier", win_ratio: "win ratio vs pure MCTS", elo: "Elo",
};
const SYMBOL = {1: "X", 2: "O"};

const $ = (id) => document.getElementById(id);

const page = {
  config: null,
  game: null,
  analysis: null,     // the last analysis of the position now on the board, or null
  busy: false,        // the engine is thinking in this tab's game
  run: {name: null, records: [], timer: null},
};

// -- talking to the server --------------------------------------------------------------------
async function api(method, path, body) {
  const options = {method, headers: {}};
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data;
  try {
    data = await response.json();
  } catch (err) {
    throw new Error(`the server answered ${response.status} without JSON`);
  }
  if (!response.ok) throw new Error(data.error || `the server answered ${response.status}`);
  return data;
}

function showError(where, message) {
  const box = $(where);
  box.textContent = message;
  box.hidden = false;
}

function clearError(where) {
  $(where).hidden = true;
  $(where).textContent = "";
}

// run an action of the play view: its errors are shown under the board
async function act(action) {
  clearError("error");
  try {
    await action();
  } catch (err) {
    showError("error", err.message);
  }
}

// -- settings ---------------------------------------------------------------------------------
function opponent() {
  return page.config.opponents.find((o) => o.kind === $("opponent").value);
}

function thinking() {
  return {mode: $("think-mode").value, amount: Number($("think-amount").value)};
}

function setThinkingDefaults() {
  const mode = $("think-mode").value;
  const [low, high] = mode === "playouts" ? page.config.playout_limits : page.config.ms_limits;
  const amount = $("think-amount");
  amount.min = low;
  amount.max = high;
  amount.value = mode === "playouts" ? opponent().default_playouts : page.config.default_ms;
}

function showOpponentSettings() {
  const fixed = opponent().board;
  $("board-spec-label").hidden = fixed !== null;
  if (fixed !== null) $("board-spec").value = fixed;
  setThinkingDefaults();
}

// -- the game ---------------------------------------------------------------------------------
function sameGameAndPosition(game, moveCount) {
  return page.game && page.game.id === game.id && page.game.moves.length === moveCount;
}

function setGame(game) {
  page.game = game;
  page.analysis = null;
  sessionStorage.setItem("gomoku-zero-game", game.id);
  render();
}

async function newGame() {
  const body = {opponent: $("opponent").value, human: Number($("human").value)};
  if (opponent().board === null) body.board = $("board-spec").value.trim();
  setGame(await api("POST", "/api/games", body));
  await continueGame();
}

// after every change: the engine moves if it is its turn, then the analysis is refreshed
async function continueGame() {
  const game = page.game;
  if (!game.over && game.to_move !== game.human) {
    page.busy = true;
    render();
    try {
      setGame(await api("POST", `/api/games/${game.id}/reply`, thinking()));
    } finally {
      page.busy = false;
      render();
    }
  }
  await refreshAnalysis();
}

async function refreshAnalysis() {
  const game = page.game;
  if (!$("analysis-toggle").checked || !game || game.over) {
    render();
    return;
  }
  const moveCount = game.moves.length;
  $("analysis-info").textContent = "searching…";
  const analysis = await api("POST", `/api/games/${game.id}/analysis`, thinking());
  if (sameGameAndPosition(game, moveCount)) {  // not a stale answer
    page.analysis = analysis;
    render();
  }
}

async function clickPoint(row, col) {
  const game = page.game;
  setGame(await api("POST", `/api/games/${game.id}/move`, {row, col}));
  await continueGame();
}

async function takeBack() {
  setGame(await api("POST", `/api/games/${page.game.id}/takeback`, {}));
  await refreshAnalysis();
}

async function swapSides() {
  setGame(await api("POST", `/api/games/${page.game.id}/swap`, {}));
  $("human").value = String(page.game.human);
  await continueGame();
}

// -- drawing the board ------------------------------------------------------------------------
function svg(tag, attrs, parent) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (parent) parent.appendChild(node);
  return node;
}

function pointXY(game, move) {
  const row = Math.floor(move / game.width), col = move % game.width;
  return [MARGIN + col * CELL, MARGIN + (game.height - 1 - row) * CELL];
}

function coords(game, move) {
  return `${Math.floor(move / game.width)},${move % game.width}`;
}

function signed(x) {
  return (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(2);
}

function drawGrid(board, game) {
  const w = game.width, h = game.height;
  const size = [MARGIN * 2 + (w - 1) * CELL, MARGIN * 2 + (h - 1) * CELL];
  board.setAttribute("viewBox", `0 0 ${size[0]} ${size[1]}`);
  svg("rect", {x: 0, y: 0, width: size[0], height: size[1], rx: 10, class: "wood"}, board);
  for (let c = 0; c < w; c++) {
    const x = MARGIN + c * CELL;
    svg("line", {x1: x, y1: MARGIN, x2: x, y2: MARGIN + (h - 1) * CELL, class: "grid"}, board);
    svg("text", {x, y: MARGIN - 22, class: "coord"}, board).textContent = c;
  }
  for (let r = 0; r < h; r++) {
    const y = MARGIN + (h - 1 - r) * CELL;
    svg("line", {x1: MARGIN, y1: y, x2: MARGIN + (w - 1) * CELL, y2: y, class: "grid"}, board);
    svg("text", {x: MARGIN - 26, y: y + 5, class: "coord"}, board).textContent = r;
  }
}

function drawHeat(board, game, analysis) {
  // the net's policy if there is one, else (pure MCTS) each move's share of the visits
  const weights = analysis.policy || analysis.visits;
  const top = Math.max(...weights.filter((_, m) => game.stones[m] === 0), 1e-9);
  weights.forEach((weight, move) => {
    if (game.stones[move] !== 0 || weight <= 0) return;
    const [x, y] = pointXY(game, move);
    const strength = Math.sqrt(weight / top);  // square root: small shares stay visible
    if (strength < 0.05) return;
    svg("rect", {x: x - CELL / 2 + 3, y: y - CELL / 2 + 3, width: CELL - 6, height: CELL - 6,
                 rx: 8, class: "heat", "fill-opacity": (0.8 * strength).toFixed(3),
                 "data-move": move}, board);
  });
}

function drawLabels(board, game, analysis) {
  const ranked = analysis.visits.map((v, m) => [v, m]).filter(([v]) => v > 0)
    .sort((a, b) => b[0] - a[0]).slice(0, MAX_LABELS);
  ranked.forEach(([visits, move], i) => {
    const [x, y] = pointXY(game, move);
    if (i === 0) svg("circle", {cx: x, cy: y, r: CELL * 0.42, class: "best"}, board);
    const q = analysis.q ? analysis.q[move] : null;
    const label = svg("text", {x, y: q === null ? y + 5 : y - 3, class: "visits",
                               "data-move": move}, board);
    label.textContent = visits;
    if (q !== null) {
      svg("text", {x, y: y + 15, class: "q", "data-move": move}, board).textContent = signed(q);
    }
  });
  (analysis.pv || []).forEach((move, i) => {
    const [x, y] = pointXY(game, move);
    const [bx, by] = [x - CELL / 2 + 11, y - CELL / 2 + 11];
    svg("circle", {cx: bx, cy: by, r: 9, class: "pv-badge"}, board);
    svg("text", {x: bx, y: by + 4, class: "pv-number"}, board).textContent = i + 1;
  });
}

function drawStones(board, game) {
  const winning = new Set(game.winning_line);
  game.stones.forEach((player, move) => {
    if (player === 0) return;
    const [x, y] = pointXY(game, move);
    const classes = ["stone", player === 1 ? "black" : "white"];
    if (winning.has(move)) classes.push("win");
    svg("circle", {cx: x, cy: y, r: CELL * 0.43, class: classes.join(" "),
                   "data-move": move}, board);
    if (move === game.last_move) svg("circle", {cx: x, cy: y, r: 7, class: "last"}, board);
  });
  if (game.winning_line.length) {
    const [x1, y1] = pointXY(game, game.winning_line[0]);
    const [x2, y2] = pointXY(game, game.winning_line[game.winning_line.length - 1]);
    svg("line", {x1, y1, x2, y2, class: "win-line"}, board);
  }
}

function drawHitAreas(board, game) {
  for (let move = 0; move < game.width * game.height; move++) {
    const [x, y] = pointXY(game, move);
    const row = Math.floor(move / game.width), col = move % game.width;
    const hit = svg("rect", {x: x - CELL / 2, y: y - CELL / 2, width: CELL, height: CELL,
                             class: "point", "data-row": row, "data-col": col,
                             "data-move": move}, board);
    hit.addEventListener("click", () => act(() => clickPoint(row, col)));
  }
}

function renderBoard() {
  const board = $("board");
  board.replaceChildren();
  const game = page.game;
  if (!game) return;
  drawGrid(board, game);
  const analysis = $("analysis-toggle").checked ? page.analysis : null;
  if (analysis) drawHeat(board, game, analysis);
  drawStones(board, game);
  if (analysis) drawLabels(board, game, analysis);
  drawHitAreas(board, game);
}

// -- the text around it -----------------------------------------------------------------------
function renderStatus() {
  const game = page.game;
  const you = SYMBOL[game.human], engine = SYMBOL[3 - game.human];
  let text;
  if (game.over) text = `Game over: ${game.result}.`;
  else if (page.busy || game.thinking) text = `${game.opponent_label} (${engine}) is thinking…`;
  else if (game.to_move === game.human) text = `Your move (${you}).`;
  else text = `${game.opponent_label} (${engine}) is to move.`;
  $("status").textContent =
    `${game.board} vs ${game.opponent_label} — you are ${you}. ${text}`;
  $("result").hidden = !game.over;
  $("result").textContent = game.over ? `game over: ${game.result}` : "";
  $("result").className = game.over ? game.result.replace(/\s+/g, "-") : "";

  const thought = game.last_thought;
  $("engine-info").textContent = thought
    ? `Engine's last move ${coords(game, thought.move)}: ${thought.playouts} playouts in ` +
      `${thought.seconds.toFixed(2)} s` +
      (thought.q && thought.q[thought.move] !== null
        ? `, Q ${signed(thought.q[thought.move])} for it` : "") + "."
    : "";
}

function renderAnalysis() {
  const on = $("analysis-toggle").checked;
  $("analysis").hidden = !on;
  const analysis = page.analysis, game = page.game;
  if (!on) return;
  if (!analysis || !game) {
    $("value-box").hidden = true;
    $("pv").textContent = "";
    if (game && game.over) $("analysis-info").textContent = "the game is over";
    return;
  }
  const mover = SYMBOL[analysis.to_move];
  $("value-box").hidden = analysis.value === null;
  if (analysis.value !== null) {
    const forX = analysis.to_move === 1 ? analysis.value : -analysis.value;
    $("value-fill").style.width = `${(50 * (1 + forX)).toFixed(1)}%`;
    $("value-text").textContent = `net value for ${mover} (to move): ${signed(analysis.value)}`;
  }
  $("pv").textContent = analysis.pv
    ? `principal variation: ${analysis.pv.map((m) => coords(game, m)).join(" → ")}`
    : "";
  $("analysis-info").textContent =
    `${analysis.playouts} playouts in ${analysis.seconds.toFixed(2)} s, ${mover} to move` +
    `; best ${coords(game, analysis.move)}`;
  $("analysis-legend").textContent = analysis.policy
    ? "Shade: the net's policy. Numbers: visits and Q (mean value for the player to move); " +
      "dashed ring: the most visited move; blue badges: the principal variation."
    : "Pure MCTS has no net: shade and numbers are its visit counts; dashed ring: the most " +
      "visited move.";
}

function render() {
  if (!page.game) return;
  renderStatus();
  renderAnalysis();
  renderBoard();
}

// -- the run view -----------------------------------------------------------------------------
async function loadRunList() {
  clearError("runs-error");
  const data = await api("GET", "/api/runs");
  const select = $("run-select");
  const previous = select.value;
  select.replaceChildren();
  const none = document.createElement("option");
  none.value = "";
  none.textContent = data.runs.length ? "— choose a run —" : `no runs in ${data.runs_dir}`;
  select.appendChild(none);
  for (const run of data.runs) {
    const option = document.createElement("option");
    option.value = option.textContent = run.name;
    select.appendChild(option);
  }
  if (data.runs.some((run) => run.name === previous)) select.value = previous;
}

async function pollRun() {
  const run = page.run;
  if (!run.name) return;
  const name = run.name;
  let data = await api("GET",
    `/api/metrics?run=${encodeURIComponent(name)}&start=${run.records.length}`);
  if (data.total < run.records.length) {  // rewritten (a resume drops records): read it again
    data = await api("GET", `/api/metrics?run=${encodeURIComponent(name)}&start=0`);
    run.records = [];
  }
  if (run.name !== name) return;
  run.records = run.records.concat(data.records);
  drawCharts(data.curves);
  $("run-info").textContent =
    `${run.records.length} records; read again every ${page.config.run_poll_seconds} s`;
}

async function openRun(name) {
  clearError("runs-error");
  stopPolling();
  page.run = {name: name || null, records: [], timer: null};
  $("charts").replaceChildren();
  $("run-info").textContent = "";
  if (!name) return;
  await pollRun();
  page.run.timer = setInterval(() => pollRun().catch((err) => showError("runs-error", err.message)),
                               page.config.run_poll_seconds * 1000);
}

function stopPolling() {
  if (page.run.timer !== null) clearInterval(page.run.timer);
  page.run.timer = null;
}

function niceNumber(x) {
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  const size = Math.abs(x);
  return size >= 1000 || size < 0.01 ? x.toExponential(2) : x.toPrecision(3);
}

const FIXED_RANGE = {win_ratio: [0, 1]};

// one curve; [x0, x1] is the run's range of games, shared by all its charts
function drawChart(key, points, [x0, x1]) {
  const W = 440, H = 200, left = 58, right = 14, top = 28, bottom = 30;
  const chart = svg("svg", {viewBox: `0 0 ${W} ${H}`, class: "chart", "data-key": key});
  svg("text", {x: left, y: 18, class: "chart-title"}, chart).textContent =
    `${CURVE_NAMES[key]}: ${niceNumber(points[points.length - 1][1])}`;
  const ys = points.map((p) => p[1]);
  let [y0, y1] = FIXED_RANGE[key] || [Math.min(...ys), Math.max(...ys)];
  if (y1 === y0) {
    const pad = Math.abs(y0) * 0.1 || 0.5;
    [y0, y1] = [y0 - pad, y1 + pad];
  }
  const px = (x) => left + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (W - left - right);
  const py = (y) => H - bottom - (y - y0) / (y1 - y0) * (H - top - bottom);
  svg("rect", {x: left, y: top, width: W - left - right, height: H - top - bottom,
               class: "plot-area"}, chart);
  for (const y of [y0, (y0 + y1) / 2, y1]) {
    svg("line", {x1: left, x2: W - right, y1: py(y), y2: py(y), class: "gridline"}, chart);
    svg("text", {x: left - 6, y: py(y) + 4, class: "tick y"}, chart).textContent =
      niceNumber(Number(y.toPrecision(3)));
  }
  svg("text", {x: left, y: H - 10, class: "tick"}, chart).textContent = niceNumber(x0);
  svg("text", {x: W - right, y: H - 10, class: "tick end"}, chart).textContent =
    `${niceNumber(x1)} games`;
  svg("polyline", {points: points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`)
    .join(" "), class: "curve"}, chart);
  if (points.length <= 60) {
    for (const [x, y] of points) svg("circle", {cx: px(x), cy: py(y), r: 3, class: "dot"}, chart);
  }
  return chart;
}

function drawCharts(curves) {
  const charts = $("charts");
  charts.replaceChildren();
  const records = page.run.records;
  const games = records.map((r, i) => (typeof r.batch === "number" ? r.batch : i));
  const range = [Math.min(...games), Math.max(...games)];
  for (const key of curves) {
    const points = records.map((r, i) => [games[i], r[key]])
      .filter(([, y]) => typeof y === "number");
    if (points.length) charts.appendChild(drawChart(key, points, range));
  }
  if (!charts.children.length) {
    const note = document.createElement("p");
    note.textContent = "no curves yet: the run has written no loss, entropy, kl, " +
      "lr_multiplier, win_ratio or elo";
    charts.appendChild(note);
  }
}

// -- tabs and start-up ------------------------------------------------------------------------
function showView(name) {
  $("play-view").hidden = name !== "play";
  $("runs-view").hidden = name !== "runs";
  $("tab-play").classList.toggle("active", name === "play");
  $("tab-runs").classList.toggle("active", name === "runs");
  if (name === "runs") {
    loadRunList().then(() => openRun($("run-select").value))
      .catch((err) => showError("runs-error", err.message));
  } else {
    stopPolling();
  }
}

async function resumeOrStart() {
  const saved = sessionStorage.getItem("gomoku-zero-game");
  if (saved) {
    try {
      const game = await api("GET", `/api/games/${encodeURIComponent(saved)}`);
      $("opponent").value = game.opponent;
      $("human").value = String(game.human);
      showOpponentSettings();
      setGame(game);
      await continueGame();
      return;
    } catch (err) {
      sessionStorage.removeItem("gomoku-zero-game");  // forgotten by the server: a new game
    }
  }
  await newGame();
}

async function start() {
  page.config = await api("GET", "/api/config");
  for (const o of page.config.opponents) {
    const option = document.createElement("option");
    option.value = o.kind;
    option.textContent = o.board ? `${o.label} (${o.board})` : o.label;
    $("opponent").appendChild(option);
  }
  $("board-spec").value = page.config.default_board;
  showOpponentSettings();
  $("opponent").addEventListener("change", showOpponentSettings);
  $("think-mode").addEventListener("change", setThinkingDefaults);
  $("new-game").addEventListener("click", () => act(newGame));
  $("swap").addEventListener("click", () => act(swapSides));
  $("take-back").addEventListener("click", () => act(takeBack));
  $("analysis-toggle").addEventListener("change", () => act(refreshAnalysis));
  $("tab-play").addEventListener("click", () => showView("play"));
  $("tab-runs").addEventListener("click", () => showView("runs"));
  $("refresh-runs").addEventListener("click",
    () => loadRunList().catch((err) => showError("runs-error", err.message)));
  $("run-select").addEventListener("change",
    () => openRun($("run-select").value).catch((err) => showError("runs-error", err.message)));
  await resumeOrStart();
}

act(start);
