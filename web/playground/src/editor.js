// editor.js - the bundle's entry: CodeMirror 6 with the language modes the
// playground knows, behind a small API (window.JudgeboxEditor) that app.js
// uses.  Built by esbuild into dist/editor.js (`make playground-bundle`),
// which is committed so that `make` needs no npm.
// CodeMirror (MIT) (c) Marijn Haverbeke and others: https://codemirror.net
import { EditorState, Compartment } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, drawSelection,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching, indentOnInput,
  indentUnit,
} from "@codemirror/language";
import { python } from "@codemirror/lang-python";
import { cpp } from "@codemirror/lang-cpp";
import { java } from "@codemirror/lang-java";
import { javascript } from "@codemirror/lang-javascript";
import { rust } from "@codemirror/lang-rust";
import { go } from "@codemirror/lang-go";
import { kotlin, scala, csharp, objectiveC } from "@codemirror/legacy-modes/mode/clike";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import { ruby } from "@codemirror/legacy-modes/mode/ruby";
import { perl } from "@codemirror/legacy-modes/mode/perl";
import { lua } from "@codemirror/legacy-modes/mode/lua";
import { haskell } from "@codemirror/legacy-modes/mode/haskell";
import { r } from "@codemirror/legacy-modes/mode/r";
import { clojure } from "@codemirror/legacy-modes/mode/clojure";
import { commonLisp } from "@codemirror/legacy-modes/mode/commonlisp";
import { scheme } from "@codemirror/legacy-modes/mode/scheme";
import { erlang } from "@codemirror/legacy-modes/mode/erlang";
import { fortran } from "@codemirror/legacy-modes/mode/fortran";
import { pascal } from "@codemirror/legacy-modes/mode/pascal";
import { d } from "@codemirror/legacy-modes/mode/d";
import { crystal } from "@codemirror/legacy-modes/mode/crystal";
import { cobol } from "@codemirror/legacy-modes/mode/cobol";
import { coffeeScript } from "@codemirror/legacy-modes/mode/coffeescript";
import { tcl } from "@codemirror/legacy-modes/mode/tcl";
import { brainfuck } from "@codemirror/legacy-modes/mode/brainfuck";
import { forth } from "@codemirror/legacy-modes/mode/forth";
import { oCaml } from "@codemirror/legacy-modes/mode/mllike";
import { groovy } from "@codemirror/legacy-modes/mode/groovy";
import { standardSQL } from "@codemirror/legacy-modes/mode/sql";
import { gas } from "@codemirror/legacy-modes/mode/gas";

const legacy = (mode) => () => StreamLanguage.define(mode);

// Language ids of langs/*.json (and their prefixes) -> a mode.
const modes = {
  python: () => python(), pypy: () => python(),
  c: () => cpp(), cpp: () => cpp(), tcc: () => cpp(), objc: legacy(objectiveC), vala: legacy(csharp),
  java: () => java(), kotlin: legacy(kotlin), scala: legacy(scala), csharp: legacy(csharp),
  groovy: legacy(groovy),
  javascript: () => javascript(), typescript: () => javascript({ typescript: true }),
  rust: () => rust(), go: () => go(),
  bash: legacy(shell), sh: legacy(shell), zsh: legacy(shell), ksh: legacy(shell), fish: legacy(shell),
  ruby: legacy(ruby), perl: legacy(perl), lua: legacy(lua), luajit: legacy(lua),
  haskell: legacy(haskell), r: legacy(r), clojure: legacy(clojure), commonlisp: legacy(commonLisp),
  guile: legacy(scheme), racket: legacy(scheme), chicken: legacy(scheme), erlang: legacy(erlang),
  elixir: legacy(ruby), fortran: legacy(fortran), pascal: legacy(pascal), d: legacy(d),
  crystal: legacy(crystal), cobol: legacy(cobol), coffeescript: legacy(coffeeScript), tcl: legacy(tcl),
  brainfuck: legacy(brainfuck), forth: legacy(forth), ocaml: legacy(oCaml), sqlite: legacy(standardSQL),
  nasm: legacy(gas), nim: legacy(python),
};

// The mode for a language id: exact, else the id without trailing digits
// ("cpp17" -> "cpp", "python3" -> "python"), else none (plain text).
export function modeFor(id) {
  const make = modes[id] || modes[String(id).replace(/[0-9]+$/, "")];
  return make ? make() : [];
}

// The editor lives in a shadow root of `host`: there CodeMirror's styles go
// into constructed style sheets (adoptedStyleSheets), which a
// Content-Security-Policy of style-src 'self' allows, where the <style>
// element it makes in a document's head would be refused.
const frame = EditorView.theme({
  "&": { height: "100%", fontSize: "14px", backgroundColor: "#fff" },
  ".cm-scroller": {
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
  },
  "&.cm-focused": { outline: "none" },
  ".cm-gutters": { backgroundColor: "#f6f7f8", borderRight: "1px solid #d8dde2" },
});

export function create(host, { doc = "", language = "", onChange = () => {}, onRun = null } = {}) {
  const shadow = host.attachShadow({ mode: "open" });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(":host { display: block; height: 100%; } .mount { height: 100%; }");
  shadow.adoptedStyleSheets = [sheet];
  const parent = document.createElement("div");
  parent.className = "mount";
  shadow.appendChild(parent);
  const lang = new Compartment();
  const view = new EditorView({
    parent,
    root: shadow,
    state: EditorState.create({
      doc,
      extensions: [
        frame, lineNumbers(), highlightActiveLineGutter(), highlightSpecialChars(), history(),
        drawSelection(), indentOnInput(), bracketMatching(), highlightActiveLine(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        indentUnit.of("    "),
        // Ctrl/Cmd+Enter runs (before the default keymap, where it would
        // insert a blank line).
        keymap.of([
          ...(onRun ? [{ key: "Mod-Enter", run: () => { onRun(); return true; } }] : []),
          ...defaultKeymap, ...historyKeymap, indentWithTab,
        ]),
        lang.of(modeFor(language)),
        EditorView.updateListener.of((u) => { if (u.docChanged) onChange(); }),
        EditorView.contentAttributes.of({ "aria-label": "source code" }),
      ],
    }),
  });
  return {
    view,
    getValue: () => view.state.doc.toString(),
    setValue: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    setLanguage: (id) => view.dispatch({ effects: lang.reconfigure(modeFor(id)) }),
    focus: () => view.focus(),
  };
}
