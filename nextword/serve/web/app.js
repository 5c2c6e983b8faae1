// nextword's page: suggestions as you type, from the server's /v1/complete.
// Requests are debounced, and a newer keystroke aborts the request still in flight, so fast
// typing never queues stale answers.
"use strict";

const text = document.getElementById("text");
const list = document.getElementById("suggestions");
const status = document.getElementById("status");
const continueButton = document.getElementById("continue");
const ghost = document.getElementById("ghost");  // a phrase, grey after the cursor
const DEBOUNCE_MS = 60;
let timer = null;
let inFlight = null;
let shown = { suggestions: [], mode: "next", replace: 0, text: "" };
let phrase = null;  // the phrase offered for shown.text, or null
let leftover = null;  // {text, rest}: what Ctrl+Right left of a phrase, offered on after text
let learning = false;  // the server learns finished lines (serve --learn)
// The last autocorrection, undone by Backspace right after it: {before, after} texts. A word
// whose autocorrection was undone is kept as typed: no correction until the next word ends.
let undo = null;
let kept = null;
// The words shown to complete the word being typed ({base: the text before that word, last:
// the text they were shown for, words}): typing on past them passes them over, so the server
// shows others for that word. Another word, or Backspace, forgets them. (The next words shown
// before the word's first letter do not count: a typist may start a word without looking.)
let passing = { base: null, last: "", words: new Set() };
const WORD_END = /[^\s.,;:!?()"\[\]{}]*$/u;

function passedFor(typed) {
  const base = typed.replace(WORD_END, "");
  if (base !== passing.base || !typed.startsWith(passing.last)) {
    passing = { base, last: typed, words: new Set() };
  }
  return typed === base ? [] : [...passing.words];
}

function remember(typed, suggestions) {
  const base = typed.replace(WORD_END, "");
  if (base !== passing.base || typed === base) return;
  passing.last = typed;
  for (const s of suggestions) if (s.kind !== "phrase") passing.words.add(s.word);
}

// The server's token (serve --token), given once in the page's address as #token=TOKEN: kept
// for this tab only (sessionStorage) and taken out of the address bar and its history.
const TOKEN_KEY = "nextword-token";
const given = new URLSearchParams(location.hash.slice(1)).get("token");
if (given) {
  sessionStorage.setItem(TOKEN_KEY, given);
  history.replaceState(null, "", location.pathname + location.search);
}
const token = sessionStorage.getItem(TOKEN_KEY);

function headers(extra) {
  return Object.assign(token ? { authorization: `Bearer ${token}` } : {}, extra || {});
}

async function post(path, body, signal) {
  const response = await fetch(path, {
    method: "POST", headers: headers({ "content-type": "application/json" }),
    body: JSON.stringify(body), signal,
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(suggest, DEBOUNCE_MS);
}

function correcting(typed) {
  return !(kept !== null && typed.startsWith(kept) && !/\s/.test(typed.slice(kept.length)));
}

async function suggest() {
  if (inFlight) inFlight.abort();
  const controller = new AbortController();
  inFlight = controller;
  const typed = text.value;
  const correct = correcting(typed);
  const passed = passedFor(typed);
  try {
    const answer = await post("/v1/complete",
                              { text: typed, k: 5, correct, phrases: true, passed },
                              controller.signal);
    if (controller.signal.aborted || typed !== text.value) return;
    const first = answer.suggestions[0];
    if (correct && first && first.autocorrect && /\s$/.test(typed)) {  // applied on space
      const after = `${typed.slice(0, typed.length - first.replace)}${first.word} `;
      undo = { before: typed, after };
      text.value = after;
      return suggest();
    }
    show(Object.assign(answer, { text: typed }));
    remember(typed, answer.suggestions);
    status.textContent = "";
  } catch (error) {
    if (error.name === "AbortError") return;
    show({ suggestions: [], mode: "next", replace: 0, text: typed });
    status.textContent = error.message;
  } finally {
    if (inFlight === controller) inFlight = null;
  }
}

// What a suggestion makes of the text: the text before it, the suggestion, and its space.
function written(suggestion, value) {
  const word = suggestion.word;
  let before = value.slice(0, value.length - suggestion.replace);
  const unspaced = UNSPACED.test(word[0]) || UNSPACED.test(before.slice(-1));
  if (ATTACHED.test(word) || unspaced) before = before.replace(/[ \t]+$/, "");
  else if (before && !/\s$/.test(before)) before += " ";
  return { before, word, after: UNSPACED.test(word.slice(-1)) ? "" : " " };
}

// The phrase as grey text after the cursor: the typed text (invisible, for the layout), then
// what the phrase adds to it.
function showPhrase() {
  const atEnd = text.selectionStart === text.value.length;
  const rest = phrase && atEnd ? (() => {
    const { before, word } = written(phrase, text.value);
    const whole = before + word;
    return whole.startsWith(text.value) ? whole.slice(text.value.length) : null;
  })() : null;
  if (!rest) {
    ghost.replaceChildren();
    ghost.hidden = true;
    return;
  }
  const typed = document.createElement("span");
  typed.className = "typed";
  typed.textContent = text.value;
  const more = document.createElement("span");
  more.className = "rest";
  more.textContent = rest;
  ghost.replaceChildren(typed, more);
  ghost.hidden = false;
  ghost.scrollTop = text.scrollTop;
}

function show(answer) {
  phrase = answer.suggestions.find((suggestion) => suggestion.kind === "phrase") || null;
  if (!phrase && leftover && leftover.text === answer.text) {  // the rest of a phrase
    phrase = { word: leftover.rest, kind: "phrase", replace: 0, probability: 0 };
  }
  answer.suggestions = answer.suggestions.filter((suggestion) => suggestion.kind !== "phrase");
  shown = answer;
  list.dataset.text = answer.text;  // which text these suggestions answer
  showPhrase();
  list.replaceChildren(...answer.suggestions.map((suggestion, index) => {
    const item = document.createElement("li");
    item.dataset.index = String(index);
    item.dataset.kind = suggestion.kind;  // a correction is shown apart (style.css)
    item.title = `probability ${suggestion.probability.toFixed(4)}`;
    const word = document.createElement("span");
    word.className = "word";
    word.textContent = suggestion.word;
    const probability = document.createElement("span");
    probability.className = "probability";
    probability.textContent = `${(100 * suggestion.probability).toFixed(1)}%`;
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${Math.max(2, 100 * suggestion.probability)}%`;
    item.append(word, probability, bar);
    if (learning) {  // a learning server can also forget: never suggest this word again
      const forget = document.createElement("button");
      forget.type = "button";
      forget.className = "forget";
      forget.textContent = "×";
      forget.title = `never suggest "${suggestion.word}" again`;
      forget.addEventListener("mousedown", (event) => {
        event.preventDefault();
        event.stopPropagation();
        forgetWord(suggestion.word);
      });
      item.append(forget);
    }
    item.addEventListener("mousedown", (event) => { event.preventDefault(); accept(index); });
    return item;
  }));
}

async function forgetWord(word) {
  try {
    const answer = await post("/v1/forget", { words: [word] });
    status.textContent = answer.changed.length ? `"${word}" will not be suggested again` : "";
  } catch (error) {
    status.textContent = error.message;
  }
  suggest();
}

const ATTACHED = /^[,.;:?!)\]}%]|^'s$|^'$/;  // written without a space before them
// Chinese, Japanese, Thai...: written without spaces, as is Chinese punctuation.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\u3000-\u303f\uff00-\uffef]/u;

function accept(index) {
  const suggestion = index === "phrase" ? phrase : shown.suggestions[index];
  if (!suggestion || shown.text !== text.value) return false;
  const { before, word, after } = written(suggestion, text.value);
  put(`${before}${word}${after}`);
  return true;
}

// Ctrl+Right: the phrase's next word only (with the marks attached to it).
function acceptPhraseWord() {
  if (!phrase || shown.text !== text.value) return false;
  const { before, word } = written(phrase, text.value);
  const whole = before + word;
  if (!whole.startsWith(text.value)) return false;
  const rest = whole.slice(text.value.length);
  const next = rest.match(/^\s*\S+\s*/)[0];  // the word, its marks and the space after
  const value = text.value + next + (next.length === rest.length ? " " : "");
  leftover = next.length < rest.length ? { text: value, rest: rest.slice(next.length) } : null;
  put(value);
  return true;
}

function put(value) {
  text.value = value;
  text.focus();
  text.setSelectionRange(text.value.length, text.value.length);
  phrase = null;
  showPhrase();
  suggest();
}

text.addEventListener("input", () => { phrase = leftover = null; showPhrase(); schedule(); });
text.addEventListener("scroll", () => { ghost.scrollTop = text.scrollTop; });
text.addEventListener("keydown", (event) => {
  if (event.key === "Backspace" && undo && text.value === undo.after) {
    event.preventDefault();  // undo the autocorrection: the word as typed, kept so
    text.value = undo.before;
    kept = undo.before;
    undo = null;
    schedule();
    return;
  }
  if (event.key !== "Tab") undo = null;
  if (event.key === "ArrowRight" && event.ctrlKey && !ghost.hidden) {
    event.preventDefault();
    acceptPhraseWord();
  } else if (event.key === "Tab" && !event.shiftKey && !ghost.hidden) {
    event.preventDefault();
    accept("phrase");  // the whole phrase
  } else if (event.key === "Tab" && !event.shiftKey && shown.suggestions.length) {
    event.preventDefault();
    if (!accept(0)) suggest().then(() => accept(0));  // typed since: take the fresh first
  } else if (event.key === "Enter" && learning) {
    const line = text.value.slice(0, text.selectionStart).split("\n").pop();
    if (line.trim()) {
      post("/v1/learn", { text: line }).catch((error) => { status.textContent = error.message; });
    }
  }
});

continueButton.addEventListener("click", async () => {
  continueButton.disabled = true;
  status.textContent = "writing…";
  try {
    const words = Number(document.getElementById("words").value) || 20;
    const strategy = document.getElementById("strategy").value;
    const answer = await post("/v1/generate", { prefix: text.value, words, strategy });
    const piece = answer.text;
    const joined = !text.value || /\s$/.test(text.value) || /^[,.;:?!)\n]/.test(piece)
      || UNSPACED.test(text.value.slice(-1)) || UNSPACED.test(piece.slice(0, 1));
    const glue = joined ? "" : " ";
    text.value = `${text.value}${glue}${piece}`;
    status.textContent = "";
    suggest();
  } catch (error) {
    status.textContent = error.message;
  } finally {
    continueButton.disabled = false;
    text.focus();
  }
});

fetch("/v1/model", { headers: headers() }).then((response) => response.json()).then((model) => {
  learning = Boolean(model.learning);
  const order = model["n-gram order"] ? ` + ${model["n-gram order"]}-gram` : "";
  document.getElementById("model").textContent =
    `${model.cell} ${model.layers}x${model.units}${order}, ${model["vocabulary size"].toLocaleString()} words`;
}).catch(() => { document.getElementById("model").textContent = ""; });
suggest();
