"""An independent recomputation of every aggregate of the answer flow from answer_attempts.

Written from docs/answer-flow.md, deliberately simple and without calling the writer's code:
it reads the stored attempts in time order and derives what question_progress,
user_statistics, daily_practice_summaries and practice_sessions must hold.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import asyncpg

LEVELS = ["not_started", "learning", "accuracy", "fluency_6s", "fluency_3s_2s", "mastered"]
ACHIEVEMENTS = ["first_answer", "answers_100", "answers_1000", "correct_100", "day_streak_3",
                "day_streak_7", "day_streak_30", "first_mastered", "mastered_10", "mastered_100"]


def avg(total, n):
    if n == 0:
        return None
    return int((Decimal(total) / Decimal(n)).quantize(Decimal(1), ROUND_HALF_UP))


def pct(part, whole):
    if whole == 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def trigger(total, correct, average):
    """calculate_mastery(), transcribed from the seed."""
    if correct == 0:
        return Decimal("0.00"), "not_started"
    r = correct / total
    if average is not None and average < 2000 and r > 0.95:
        m = "1.00"
    elif average is not None and average < 3000 and r > 0.90:
        m = "0.80"
    elif average is not None and average < 6000 and r > 0.85:
        m = "0.60"
    elif r > 0.75:
        m = "0.40"
    elif r > 0.50:
        m = "0.20"
    else:
        m = "0.10"
    m = Decimal(m)
    for threshold, level in ((1, "mastered"), (0.8, "fluency_3s_2s"), (0.6, "fluency_6s"),
                             (0.4, "accuracy"), (0.2, "learning")):
        if m >= Decimal(str(threshold)):
            return m, level
    return m, "not_started"


def grade(a):
    rt, hints = a["response_time"], a["hints_used"]
    if a["is_correct"]:
        if hints > 0 or rt >= 6000:
            return 3
        return 5 if rt < 3000 else 4
    if rt >= 20000:
        return 0
    if hints == 0 and rt < 6000:
        return 2
    return 1


async def load(conn: asyncpg.Connection, user_ids) -> list[dict]:
    rows = await conn.fetch(
        "SELECT a.*, q.operation, s.mode, u.daily_goal_minutes FROM answer_attempts a "
        "JOIN questions q ON q.id = a.question_id JOIN practice_sessions s ON s.id = a.session_id "
        "JOIN users u ON u.id = a.user_id WHERE a.user_id = ANY($1::uuid[]) "
        "ORDER BY a.user_id, a.timestamp, a.attempt_number", list(user_ids))
    return [dict(r) for r in rows]


def recompute(attempts: list[dict]) -> dict:
    facts: dict = {}
    users: dict = {}
    days: dict = {}
    sessions: dict = {}
    numbers: dict = {}
    for a in attempts:
        uid, qid, rt, ok = a["user_id"], a["question_id"], a["response_time"], a["is_correct"]
        day = a["timestamp"].date()
        f = facts.setdefault((uid, qid), {
            "total_attempts": 0, "correct_attempts": 0, "incorrect_attempts": 0, "sum": 0,
            "best_response_time": None, "current_streak": 0, "best_streak": 0, "recent": [],
            "review_interval": None, "ease_factor": Decimal("2.50"), "mastery": Decimal("0.00"),
            "fluency_level": None, "first_attempt_date": a["timestamp"]})
        u = users.setdefault(uid, {
            "n": 0, "correct": 0, "sum": 0, "days": [], "xp": 0, "achievements": [],
            "streak": 0, "longest": 0, "ops": defaultdict(lambda: [0, 0, 0]),
            "fact_levels": {}, "goal": a["daily_goal_minutes"]})
        d = days.setdefault((uid, day), {
            "n": 0, "correct": 0, "sum": 0, "facts": set(), "new": 0, "mastered": 0,
            "sessions": 0, "modes": defaultdict(int), "streak": 0})
        s = sessions.setdefault(a["session_id"], {
            "n": 0, "correct": 0, "sum": 0, "gained": Decimal("0.00"), "mastered": []})
        numbers[a["attempt_id"]] = f["total_attempts"] + 1

        # the fact
        was_new, level_before, mastery_before = f["total_attempts"] == 0, f["fluency_level"], f["mastery"]
        q = grade(a)
        n_rep = f["current_streak"]
        if q >= 3:
            interval = 1 if n_rep == 0 else 6 if n_rep == 1 else int(
                (f["review_interval"] * f["ease_factor"]).quantize(Decimal(1), ROUND_HALF_UP))
            interval = min(interval, 365)
        else:
            interval = 1
        ef = f["ease_factor"] + Decimal("0.1") - (5 - q) * (Decimal("0.08") + (5 - q) * Decimal("0.02"))
        f["ease_factor"] = min(max(ef, Decimal("1.30")), Decimal("3.00"))
        f["review_interval"] = interval
        f["next_review_date"] = day + dt.timedelta(days=interval)
        f["total_attempts"] += 1
        f["sum"] += rt
        if ok:
            f["correct_attempts"] += 1
            f["current_streak"] += 1
            f["best_streak"] = max(f["best_streak"], f["current_streak"])
            best = f["best_response_time"]
            f["best_response_time"] = rt if best is None else min(best, rt)
        else:
            f["incorrect_attempts"] += 1
            f["current_streak"] = 0
        f["last_response_time"] = rt
        f["last_attempt_date"] = a["timestamp"]
        f["recent"] = ([*f["recent"], {"is_correct": ok, "response_time": rt,
                                         "timestamp": a["timestamp"].isoformat()}])[-5:]
        f["mastery"], f["fluency_level"] = trigger(
            f["total_attempts"], f["correct_attempts"], avg(f["sum"], f["total_attempts"]))
        became = f["fluency_level"] == "mastered" and level_before != "mastered"

        # the user
        if u["days"] and day == u["days"][-1] + dt.timedelta(days=1):
            u["streak"] += 1
        elif not u["days"] or day != u["days"][-1]:
            u["streak"] = 1
        u["longest"] = max(u["longest"], u["streak"])
        if not u["days"] or u["days"][-1] != day:
            u["days"].append(day)
        u["n"] += 1
        u["correct"] += ok
        u["sum"] += rt
        op = u["ops"][a["operation"]]
        op[0], op[1], op[2] = op[0] + 1, op[1] + ok, op[2] + rt
        u["fact_levels"][qid] = f["fluency_level"]
        mastered_now = sum(1 for v in u["fact_levels"].values() if v == "mastered")
        u["xp"] += (15 if rt < 3000 and a["hints_used"] == 0 else 10) if ok else 2
        u["xp"] += 25 if became else 0
        reached = {"first_answer": u["n"] >= 1, "answers_100": u["n"] >= 100,
                   "answers_1000": u["n"] >= 1000, "correct_100": u["correct"] >= 100,
                   "day_streak_3": u["streak"] >= 3, "day_streak_7": u["streak"] >= 7,
                   "day_streak_30": u["streak"] >= 30, "first_mastered": mastered_now >= 1,
                   "mastered_10": mastered_now >= 10, "mastered_100": mastered_now >= 100}
        u["achievements"] += [x for x in ACHIEVEMENTS if reached[x] and x not in u["achievements"]]

        # the day
        d["n"] += 1
        d["correct"] += ok
        d["sum"] += rt
        d["new"] += was_new
        d["mastered"] += became
        d["facts"].add(qid)
        d["sessions"] += s["n"] == 0
        d["modes"][a["mode"]] += rt
        d["streak"] = u["streak"]

        # the session
        s["n"] += 1
        s["correct"] += ok
        s["sum"] += rt
        s["gained"] += f["mastery"] - mastery_before
        if became and str(qid) not in s["mastered"]:
            s["mastered"].append(str(qid))
    return {"facts": facts, "users": users, "days": days, "sessions": sessions,
            "attempt_numbers": numbers}


def expected_question_progress(r: dict) -> dict:
    out = {}
    for key, f in r["facts"].items():
        out[key] = {
            "total_attempts": f["total_attempts"], "correct_attempts": f["correct_attempts"],
            "incorrect_attempts": f["incorrect_attempts"], "total_response_time": f["sum"],
            "average_response_time": avg(f["sum"], f["total_attempts"]),
            "best_response_time": f["best_response_time"],
            "last_response_time": f["last_response_time"],
            "first_attempt_date": f["first_attempt_date"],
            "last_attempt_date": f["last_attempt_date"], "mastery": f["mastery"],
            "fluency_level": f["fluency_level"], "current_streak": f["current_streak"],
            "best_streak": f["best_streak"], "recent_attempts": f["recent"],
            "next_review_date": f["next_review_date"], "review_interval": f["review_interval"],
            "ease_factor": f["ease_factor"]}
    return out


def expected_user_statistics(r: dict) -> dict:
    out = {}
    for uid, u in r["users"].items():
        last = u["days"][-1]
        week = last - dt.timedelta(days=last.weekday())
        day_ms = sum(d["sum"] for (du, dd), d in r["days"].items() if du == uid and dd == last)
        week_ms = sum(d["sum"] for (du, dd), d in r["days"].items()
                      if du == uid and week <= dd <= last)
        month_ms = sum(d["sum"] for (du, dd), d in r["days"].items()
                       if du == uid and (dd.year, dd.month) == (last.year, last.month))
        levels = dict.fromkeys(LEVELS, 0)
        for level in u["fact_levels"].values():
            levels[level] += 1
        out[uid] = {
            "total_practice_time": u["sum"] // 60000, "daily_practice_time": day_ms // 60000,
            "weekly_practice_time": week_ms // 60000, "monthly_practice_time": month_ms // 60000,
            "current_streak": u["streak"], "longest_streak": u["longest"],
            "total_questions_answered": u["n"], "total_correct_answers": u["correct"],
            "overall_accuracy": pct(u["correct"], u["n"]),
            "average_response_time": avg(u["sum"], u["n"]),
            "total_mastered_facts": levels["mastered"], "facts_by_fluency_level": levels,
            "performance_by_operation": {
                op: {"attempts": n, "correct": c, "total_response_time": t,
                     "accuracy": float(pct(c, n)), "average_response_time": avg(t, n)}
                for op, (n, c, t) in u["ops"].items()},
            "achievements_unlocked": u["achievements"], "current_level": 1 + u["xp"] // 500,
            "experience_points": u["xp"], "total_response_time": u["sum"],
            "last_practice_date": last, "daily_practice_ms": day_ms,
            "weekly_practice_ms": week_ms, "monthly_practice_ms": month_ms}
    return out


def expected_daily_summaries(r: dict) -> dict:
    out = {}
    for (uid, day), d in r["days"].items():
        goal = r["users"][uid]["goal"]
        out[(uid, day)] = {
            "total_minutes": d["sum"] // 60000, "sessions": d["sessions"],
            "questions_answered": d["n"], "correct_answers": d["correct"],
            "accuracy": pct(d["correct"], d["n"]), "average_response_time": avg(d["sum"], d["n"]),
            "facts_reviewed": len(d["facts"]), "new_facts_learned": d["new"],
            "facts_mastered": d["mastered"], "time_by_mode": dict(d["modes"]),
            "daily_goal_met": d["sum"] // 60000 >= (15 if goal is None else goal),
            "current_streak": d["streak"], "total_response_time": d["sum"]}
    return out


def expected_sessions(r: dict) -> dict:
    return {sid: {"questions_answered": s["n"], "correct_answers": s["correct"],
                  "accuracy": pct(s["correct"], s["n"]),
                  "average_response_time": avg(s["sum"], s["n"]),
                  "total_response_time": s["sum"], "mastery_gained": s["gained"],
                  "new_mastered_facts": s["mastered"]}
            for sid, s in r["sessions"].items()}
