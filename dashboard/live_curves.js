// The live curves of a training, drawn on a canvas that stays in the page: each call appends the
// points it is given (only the new ones travel) and redraws; nothing is sent back to Python.
const SIZE = { height: 360, legend: 40, title: 22, left: 52, right: 14, bottom: 34 };
const MAX_POINTS = 2000; // as many as the training keeps; then every other one, as it does

export default function ({ data, parentElement }) {
  let root = parentElement.querySelector(".live-curves");
  if (!root) {
    root = document.createElement("div");
    root.className = "live-curves";
    root.innerHTML = '<div class="headline"></div><div class="bar"><div></div></div><canvas></canvas>';
    root.curves = { job: null, batch: [] };
    parentElement.appendChild(root);
    new ResizeObserver(() => draw(root)).observe(root);
  }
  const state = root.curves;
  if (data.reset || state.job !== data.job) Object.assign(state, { job: data.job, batch: [] });
  for (const point of data.points) {
    const last = state.batch[state.batch.length - 1];
    if (!last || point[0] > last[0]) state.batch.push(point);
  }
  if (state.batch.length > MAX_POINTS) state.batch = state.batch.filter((_, i) => i % 2 === 0);
  Object.assign(state, { history: data.history, epochs: data.epochs, colours: data.colours });
  root.querySelector(".headline").textContent = data.headline;
  root.querySelector(".bar div").style.width = (100 * data.fraction).toFixed(1) + "%";
  const canvas = root.querySelector("canvas");
  canvas.dataset.job = data.job;
  canvas.dataset.epochs = (data.history.loss || []).length;
  canvas.dataset.batchPoints = state.batch.length;
  canvas.dataset.lastPosition = state.batch.length ? state.batch[state.batch.length - 1][0] : 0;
  draw(root);
}

function draw(root) {
  const state = root.curves, canvas = root.querySelector("canvas");
  const width = root.clientWidth, ratio = window.devicePixelRatio || 1;
  if (!width || !state.history) return;
  canvas.width = width * ratio; canvas.height = SIZE.height * ratio;
  canvas.style.width = width + "px"; canvas.style.height = SIZE.height + "px";
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, SIZE.height);
  ctx.font = "12px sans-serif";
  const panel = width / 2;
  const lastX = state.batch.length ? state.batch[state.batch.length - 1][0] : 0;
  const xMax = Math.max(1, state.epochs || 0, lastX);
  panelOf(ctx, state, "Loss", 1, "loss", 0, panel, xMax);
  panelOf(ctx, state, "Accuracy", 2, "accuracy", panel, panel, xMax);
  legend(ctx, state.colours, width);
}

function panelOf(ctx, state, title, column, metric, left, width, xMax) {
  const box = { x: left + SIZE.left, y: SIZE.title, w: width - SIZE.left - SIZE.right,
                h: SIZE.height - SIZE.title - SIZE.bottom - SIZE.legend };
  const series = [
    { points: state.batch.map(p => [p[0], p[column]]), colour: state.colours.train, alpha: 0.45, dots: false },
    { points: epochPoints(state.history[metric]), colour: state.colours.train, alpha: 1, dots: true },
    { points: epochPoints(state.history["val_" + metric]), colour: state.colours.test, alpha: 1, dots: true },
  ];
  const values = series.flatMap(s => s.points.map(p => p[1])).filter(Number.isFinite);
  let [low, high] = values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
  if (high - low < 1e-6) { low -= 0.5; high += 0.5; }
  const pad = (high - low) * 0.05; low -= pad; high += pad;
  const X = x => box.x + (x / xMax) * box.w, Y = y => box.y + box.h - ((y - low) / (high - low)) * box.h;
  ctx.fillStyle = "#31333F"; ctx.textAlign = "center";
  ctx.fillText(title, box.x + box.w / 2, 14);
  ctx.strokeStyle = "#e6e9ef"; ctx.lineWidth = 1; ctx.textAlign = "right"; ctx.fillStyle = "#6b6f7b";
  for (const tick of ticks(low, high, 5)) {
    ctx.beginPath(); ctx.moveTo(box.x, Y(tick)); ctx.lineTo(box.x + box.w, Y(tick)); ctx.stroke();
    ctx.fillText(format(tick, high - low), box.x - 6, Y(tick) + 4);
  }
  ctx.textAlign = "center";
  // whole epochs only: "1, 2, 3", never "0.5" or "1.0"
  for (const tick of ticks(0, xMax, 6).filter(t => Math.abs(t - Math.round(t)) < 1e-9))
    ctx.fillText(String(Math.round(tick)), X(tick), box.y + box.h + 16);
  ctx.fillText("epoch", box.x + box.w / 2, box.y + box.h + 30);
  for (const s of series) {
    ctx.globalAlpha = s.alpha; ctx.strokeStyle = ctx.fillStyle = s.colour; ctx.lineWidth = s.dots ? 2 : 1;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
    ctx.stroke();
    if (s.dots) for (const [x, y] of s.points) { ctx.beginPath(); ctx.arc(X(x), Y(y), 3, 0, 7); ctx.fill(); }
  }
  ctx.globalAlpha = 1;
}

function legend(ctx, colours, width) {
  const items = [["training, running per batch", colours.train, 0.45], ["training, per epoch", colours.train, 1],
                 ["validation, per epoch", colours.test, 1]];
  let x = SIZE.left, y = SIZE.height - SIZE.legend + 14;  // below the axes' titles, wrapping downwards
  ctx.textAlign = "left";
  for (const [label, colour, alpha] of items) {
    const room = 40 + ctx.measureText(label).width;
    if (x > SIZE.left && x + room > width) { x = SIZE.left; y += 16; }
    ctx.globalAlpha = alpha; ctx.strokeStyle = colour; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x, y - 4); ctx.lineTo(x + 22, y - 4); ctx.stroke();
    ctx.globalAlpha = 1; ctx.fillStyle = "#31333F"; ctx.fillText(label, x + 28, y);
    x += room;
  }
}

const epochPoints = values => (values || []).map((value, i) => [i + 1, value]).filter(p => p[1] !== null);

function ticks(low, high, count) {
  const step0 = (high - low) / count, power = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map(m => m * power).find(s => s >= step0) || step0;
  const found = [];
  for (let t = Math.ceil(low / step) * step; t <= high + 1e-9; t += step) found.push(t);
  return found;
}

function format(value, span) {
  const digits = span >= 10 ? 0 : span >= 1 ? 1 : span >= 0.1 ? 2 : 3;
  return value.toFixed(digits);
}
