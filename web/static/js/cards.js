// /cards?class_id=…: a print-friendly sheet with one card per student and their key.
import { $, h } from "./dom.js";
import { teacher } from "./api.js";
import { loadClasses, loadRoster, classIdOf } from "./classes.js";

const classId = new URLSearchParams(location.search).get("class_id") || "";

async function init() {
  $("#print").addEventListener("click", () => window.print());
  if (!teacher()?.token) { location.replace("/teacher"); return; }
  if (!classId) { $("#cards-notice").textContent = "Choose a class on the teacher page first."; return; }
  try {
    const [classes, students] = await Promise.all([loadClasses(), loadRoster(classId)]);
    const name = classes.find((c) => classIdOf(c) === classId)?.name || "";
    $("#cards-title").textContent = `Student key cards${name ? `: ${name}` : ""}`;
    document.title = `Key cards ${name} · Math Rally`;
    const joinAt = `${location.host}/join`;
    $("#cards").replaceChildren(...students.map((s) => h("li.key-card", {},
      h("p.class-name", { text: `Math Rally${name ? ` · ${name}` : ""}` }),
      h("p.student", { text: s.display_name }),
      h("p.key-label", { text: "My student key" }),
      h("p.key", { text: s.student_key }),
      h("p.how", { text: `Go to ${joinAt}, type the game code, then choose “With my student key”.` }))));
    if (!students.length) $("#cards-notice").textContent = "This class has no students yet.";
  } catch (err) {
    $("#cards-notice").textContent = err.message;
  }
}

init();
