"""General questions a coding assistant answers without tools (the "plain answer" behaviour of
:mod:`factory.authoring.behaviours`): a bank of fixed questions and answers, and generators whose
answers are computed (chmod modes, Python results, HTTP codes, byte units, cron schedules), so every
answer is right."""

from __future__ import annotations

import random

from factory.authoring.phrasing import say
from factory.authoring.text import one

# -- plain answers: questions whose answer does not depend on the project ----------------------------
# (phrasings, answer). Answers are short, correct and self-contained.
PLAIN_QA: tuple[tuple[tuple[str, ...], str], ...] = (
    (("What's the difference between `git stash pop` and `git stash apply`?",
      "git stash pop vs apply -- which one should I use?"),
     "Both re-apply the most recent stash (or the one you name) to your working tree. `apply` keeps the stash "
     "in the list afterwards; `pop` drops it once it applied cleanly. If `pop` hits a conflict, the stash is "
     "kept, so nothing is lost. Use `apply` when you might need the same stash on another branch."),
    (("In Python, what's the difference between `is` and `==`?", "When should I use `is` instead of `==` in Python?"),
     "`==` compares values (it calls `__eq__`); `is` compares identity, whether both names point to the same "
     "object. Use `is` for singletons such as `None`, `True` and `False` (`if x is None:`), and `==` for "
     "everything else: two equal strings or numbers are not guaranteed to be the same object."),
    (("Why is a mutable default argument a bug in Python?", "Is `def f(items=[])` really a problem?"),
     "The default is evaluated once, when the function is defined, so every call that omits the argument "
     "shares the same list: appending in one call shows up in the next. Use `None` and create the list "
     "inside: `def f(items=None):` then `items = [] if items is None else items`."),
    (("What does `git rebase -i HEAD~3` do?", "How do I squash my last three commits?"),
     "`git rebase -i HEAD~3` opens an editor listing your last three commits, oldest first. Change `pick` to "
     "`squash` (or `s`) on the second and third to fold them into the first, save, then edit the combined "
     "message. Only do this on commits you have not pushed, or force-push with `--force-with-lease` afterwards."),
    (("What's the difference between `let` and `const` in TypeScript?", "`let` or `const` -- which should I default to?"),
     "Both are block-scoped. `const` forbids reassigning the binding; `let` allows it. `const` does not make "
     "the value immutable -- you can still push to a `const` array or change an object's properties. Default "
     "to `const` and use `let` only for variables you reassign."),
    (("In Go, what's the difference between a nil slice and an empty slice?", "Is `var s []int` the same as `s := []int{}`?"),
     "Both have length 0 and capacity 0, and `append`, `len` and `range` treat them the same. The difference "
     "is that a nil slice compares equal to `nil` and encodes as `null` in JSON, while an empty slice encodes "
     "as `[]`. Prefer `var s []int` unless the JSON output must be an empty array."),
    (("What does `?` do in Rust?", "How does the question mark operator work in Rust?"),
     "On a `Result`, `expr?` gives you the `Ok` value, or returns early from the function with the `Err`, "
     "converted with `From::from` into the function's error type. On an `Option` it returns `None` early. The "
     "function itself must return a compatible `Result` or `Option`."),
    (("What's the difference between a process and a thread?", "Threads vs processes, in two sentences?"),
     "A process has its own address space; threads are units of execution inside one process that share its "
     "memory. That makes threads cheaper to create and to communicate between, and processes safer to "
     "isolate, since a crash or a stray write in one process cannot corrupt another."),
    (("What HTTP status should an API return when the resource doesn't exist?", "404 or 400 for a missing record?"),
     "404 Not Found: the request was well formed, but there is no resource at that URL. Use 400 Bad Request "
     "when the request itself is invalid (a malformed body, a missing required field), and 422 if your API "
     "distinguishes validation errors from malformed syntax."),
    (("What's the difference between PUT and PATCH?", "Should my update endpoint be PUT or PATCH?"),
     "PUT replaces the whole resource with the body you send (fields you leave out are reset), and repeating "
     "it gives the same result. PATCH applies a partial change to the fields you send. Use PATCH for "
     "\"update these fields\" endpoints and PUT when clients always send the complete representation."),
    (("What does `async`/`await` change in JavaScript?", "Is `await` blocking in JavaScript?"),
     "An `async` function always returns a Promise. `await` pauses that function until the promise settles, "
     "but it does not block the thread: the event loop keeps running other work meanwhile. Errors from a "
     "rejected promise surface as exceptions you can catch with `try`/`catch` around the `await`."),
    (("What is a race condition?", "Can you explain race conditions briefly?"),
     "A race condition is a bug whose outcome depends on the timing of concurrent operations on shared state, "
     "for example two requests that both read a balance, add to it and write it back, so one update is lost. "
     "The fixes make the read-modify-write atomic: a lock, a database transaction with the right isolation, "
     "or a single atomic update statement."),
    (("What's the difference between `git merge` and `git rebase`?", "Merge or rebase to update my branch?"),
     "`git merge main` adds a merge commit that joins the two histories and leaves your commits as they were. "
     "`git rebase main` replays your commits on top of `main`, giving a linear history with new commit ids. "
     "Rebase branches only you work on; merge shared branches, since rewriting pushed history disrupts others."),
    (("What does `__init__.py` do in a Python package?", "Do I still need `__init__.py` files?"),
     "`__init__.py` marks a directory as a regular package and runs when the package is first imported, so it "
     "can expose names or set up state. Since Python 3.3 a directory without one can still be imported as a "
     "namespace package, but regular packages with `__init__.py` are what tools and most projects expect."),
    (("What's the difference between `interface` and `type` in TypeScript?", "Should I use `type` or `interface` for props?"),
     "Both can describe object shapes. An `interface` can be extended and reopened (declaration merging); a "
     "`type` alias can also name unions, tuples and mapped types but cannot be reopened. For object shapes "
     "such as component props either works; many codebases pick `interface` for objects and `type` for unions."),
    (("Why does Go return errors instead of throwing exceptions?", "What's idiomatic error handling in Go?"),
     "Go treats errors as ordinary values: a function returns `(result, error)` and the caller checks "
     "`if err != nil` right away. That keeps the failure path visible where it happens. Add context when "
     "passing an error up with `fmt.Errorf(\"loading config: %w\", err)`, and test for specific errors with "
     "`errors.Is` or `errors.As`."),
    (("What's the difference between `String` and `&str` in Rust?", "When do I take `&str` vs `String` as a parameter?"),
     "`String` is an owned, growable, heap-allocated string; `&str` is a borrowed view into string data. Take "
     "`&str` in parameters when you only read the text (a `&String` coerces to it), and `String` when the "
     "function needs to keep or modify it."),
    (("What is idempotency in an API?", "Why do people say POST isn't idempotent?"),
     "An operation is idempotent when doing it twice has the same effect as doing it once. GET, PUT and DELETE "
     "are meant to be; POST usually creates something new each time, so a retried POST can create a "
     "duplicate. APIs that must survive retries accept an idempotency key and return the first result again."),
    (("What's the difference between unit tests and integration tests?", "Unit or integration test for a repository class?"),
     "A unit test checks one piece of code in isolation, fast and without real I/O. An integration test checks "
     "that pieces work together with real dependencies, such as a database or an HTTP server. For a class "
     "whose job is talking to the database, an integration test against a real (throwaway) database tells "
     "you more than a unit test with the database mocked out."),
    (("What does `git cherry-pick` do?", "How do I copy one commit to another branch?"),
     "`git cherry-pick <commit>` applies the changes of that commit on top of your current branch as a new "
     "commit. Check out the target branch first, then cherry-pick; if it conflicts, resolve the files, "
     "`git add` them and run `git cherry-pick --continue`."),
    (("What's a context manager in Python?", "What does `with` actually do?"),
     "A context manager defines setup and teardown around a block: `with` calls its `__enter__` before the "
     "block and `__exit__` after it, even when the block raises. That is why `with open(path) as f:` always "
     "closes the file. You can write one with a class or with `contextlib.contextmanager`."),
    (("What's the difference between `null` and `undefined` in JavaScript?", "`null` vs `undefined`?"),
     "`undefined` means a value was never assigned: a missing property, an argument that was not passed. "
     "`null` is a value someone set on purpose to mean \"nothing\". `x == null` is true for both, "
     "`x === null` only for `null`; `x ?? fallback` replaces either."),
    (("What is a goroutine leak?", "How can goroutines leak in Go?"),
     "A goroutine leaks when it blocks forever, typically on a channel send or receive that nobody will ever "
     "complete, so it and everything it references stay in memory. Give goroutines a way to stop: a "
     "`context.Context` they select on, a buffered channel, or closing the channel they read from."),
    (("What does `Box<dyn Error>` mean in Rust?", "Why do examples return `Result<(), Box<dyn Error>>`?"),
     "`Box<dyn Error>` is a heap-allocated value of any type that implements the `Error` trait. Returning "
     "`Result<(), Box<dyn Error>>` lets `?` propagate errors of different types from one function, which is "
     "handy in `main` and small tools. Libraries usually define their own error enum instead, so callers can "
     "match on the cases."),
    (("What is SQL injection, in short?", "Why are parameterised queries safer?"),
     "SQL injection happens when user input is pasted into the text of a query, so input such as "
     "`' OR 1=1 --` changes what the query does. Parameterised queries send the SQL and the values "
     "separately, and the database never parses the values as SQL. Build queries with placeholders, never "
     "with string formatting."),
    (("What's semantic versioning?", "What do the three numbers in 2.4.1 mean?"),
     "In MAJOR.MINOR.PATCH, the major number changes for incompatible API changes, the minor number for "
     "new features that keep compatibility, and the patch number for compatible bug fixes. So 2.4.1 to "
     "2.5.0 should be safe to take, and 2.x to 3.0 may need code changes."),
    (("What is a database index for?", "Why would adding an index speed up a query?"),
     "An index is a sorted structure over one or more columns that lets the database find matching rows "
     "without scanning the whole table, much like a book's index. It speeds up lookups, joins and sorts on "
     "those columns, at the cost of extra storage and slower inserts and updates."),
    (("What does `git reset --hard` do?", "Is `git reset --hard` dangerous?"),
     "`git reset --hard <commit>` moves the current branch to that commit and makes the index and working "
     "tree match it, discarding uncommitted changes to tracked files. Committed work can usually be found "
     "again with `git reflog`; uncommitted changes cannot. Run `git stash` first if you are unsure."),
    (("What's the difference between `map` and `forEach` in JavaScript?", "`map` or `forEach` for a loop?"),
     "`map` returns a new array made of each callback's return value; `forEach` returns `undefined` and is "
     "only for side effects. Use `map` when you want the transformed array and `forEach` (or a `for...of` "
     "loop) when you just do something with each item."),
    (("What is the GIL in Python?", "Do Python threads run in parallel?"),
     "In CPython the global interpreter lock lets only one thread execute Python bytecode at a time, so "
     "threads do not speed up CPU-bound Python code. They still help with I/O-bound work, because the lock is "
     "released while waiting on I/O. For CPU-bound work use processes (`multiprocessing`, "
     "`concurrent.futures.ProcessPoolExecutor`)."),
    (("What's the difference between authentication and authorization?", "AuthN vs AuthZ?"),
     "Authentication establishes who the caller is (a password, a token, a certificate). Authorization "
     "decides what that caller may do (this user may read invoices but not refund them). Failures map to "
     "different statuses: 401 when authentication is missing or invalid, 403 when an authenticated caller "
     "is not allowed."),
    (("What does `defer` do in Go?", "When does a deferred call run in Go?"),
     "`defer f()` schedules `f` to run when the surrounding function returns, whether normally or by a "
     "panic. Deferred calls run in last-in, first-out order, and their arguments are evaluated when the "
     "`defer` statement runs. It is the usual way to close files and unlock mutexes right next to where they "
     "are opened."),
    (("What is a trait in Rust?", "Are Rust traits like interfaces?"),
     "A trait declares behaviour a type can implement: a set of methods, possibly with default "
     "implementations. It is close to an interface, and it is also how generics are constrained "
     "(`fn show<T: Display>(x: T)`). Unlike most interfaces, you can implement your trait for types you did "
     "not write, such as `i32`."),
    (("What's a CORS error, and whose side is it on?", "Why does the browser block my API call with CORS?"),
     "The browser blocks a page from reading a response from another origin unless that server allows it "
     "with headers such as `Access-Control-Allow-Origin`. So the fix is on the API server: allow the page's "
     "origin (not `*` when cookies are involved). The request may still reach the server; it is the browser "
     "that refuses to hand the response to the page."),
    (("What is dependency injection?", "Why pass dependencies into a class instead of creating them inside?"),
     "Dependency injection means a component receives the things it depends on (a repository, a clock, an "
     "HTTP client) from outside instead of constructing them itself. That makes it easy to pass a fake in "
     "tests and to swap implementations without changing the component."),
    (("What's the difference between `.gitignore` and `git rm --cached`?", "I added a file to .gitignore but git still tracks it. Why?"),
     "`.gitignore` only stops untracked files from being added; a file git already tracks stays tracked. Run "
     "`git rm --cached <file>` to stop tracking it while keeping it on disk, then commit; from then on the "
     "ignore rule applies."),
)


# -- computed answers: questions with parameters, answered by computing (so every answer is right) ----
# The questions are phrase grammars (factory.authoring.phrasing), their slots filled after the choices.
# Each names its value the way tests/authoring reads it back ("chmod 644" or "mode 644", "8 MiB", and
# for Python "In Python, what does", "What's the result of" or "what do I get from").
CHMOD_ASKS = (
    "What does `chmod {mode} {f}` do?", "What permissions does mode {mode} give {f}?",
    "Explain `chmod {mode}` for {f}.",
    "{I'm about to|Someone wants to|The deploy script will} run `chmod {mode} {f}`. {Who can do what with the "
    "file afterwards|What will that allow|What access does that give}?",
    "What exactly does mode {mode} {allow|grant} on {f}?",
    "{Decode|Translate} `chmod {mode}` {for me|into plain words}{ -- it's for {f}|}.",
    "{Who can read|Who can write to|Who can run} {f} after `chmod {mode} {f}`?",
)
PYTHON_ASKS = (
    "In Python, what does `{expr}` {evaluate to|return|give back}?",
    "What's the result of `{expr}`{ in Python| if I run it in a Python shell| in the REPL}?",
    "What do I get from `{expr}` {in Python|when Python evaluates it|in a Python shell}?",
    "{I'm unsure|I'm not sure|I keep second-guessing myself} about this one -- what do I get from `{expr}` in Python?",
    "{Without running it|From memory}, what's the result of `{expr}` in Python?",
)
HTTP_ASKS = (
    "What does HTTP {code} mean?", "Our API returned a {code}. What does that status mean?",
    "When is a server supposed to send {code}?",
    "{I'm getting|We keep getting|The client got} a {code} from {the server|our API|a partner's API}"
    "{ on checkout| in production| on every retry|}. What does {that|this} status {mean|tell me}?",
    "What's the {meaning|point} of {status|status code} {code}{ in HTTP|}?",
    "{Explain|Tell me} what HTTP {code} means{, briefly| in one line|}.",
)
BYTES_ASKS = (
    "How many bytes are in {n} {unit}?", "Is {n} {unit} the same as {n} {si}?", "Convert {n} {unit} to bytes.",
    "{A|The} {disk quota|upload limit|buffer|cache} is {n} {unit}. How many bytes is that{ exactly|}?",
    "What is {n} {unit} in bytes{, exactly|}?",
    "{Our config says|The docs say} {n} {unit}; is that the same as {n} {si}?",
)
CRON_ASKS = (
    "When does the cron schedule `{expr}` run?", "Translate this crontab line for me: `{expr}`.",
    "What does `{expr}` mean in cron?",
    "{Our|The} {backup|cleanup|report|billing} job {has|uses} the schedule `{expr}`. When does it run?",
    "{Can you read|Help me read} this cron {line|expression}: `{expr}`?",
    "When will `{expr}` {fire|trigger}{ in cron|}?",
)
_WHO = ("the owner", "the group", "everyone else")


def _perm_words(digit: int) -> str:
    rights = [w for bit, w in ((4, "read"), (2, "write"), (1, "execute")) if digit & bit]
    if not rights:
        return "nothing"
    return rights[0] if len(rights) == 1 else ", ".join(rights[:-1]) + " and " + rights[-1]


def qa_chmod(rng: random.Random) -> tuple[str, str]:
    mode = one(rng, ("644", "640", "600", "755", "750", "700", "664", "775", "444", "711", "751", "660"))
    f = one(rng, ("deploy.sh", "config.yaml", ".env", "backup.tar", "run_worker", "secrets.json", "app.log"))
    q = say(rng, one(rng, CHMOD_ASKS), mode=mode, f=f)
    parts = [f"{who} {_perm_words(int(c))}" for who, c in zip(_WHO, mode)]
    letters = "".join(("r" if int(c) & 4 else "-") + ("w" if int(c) & 2 else "-") + ("x" if int(c) & 1 else "-")
                      for c in mode)
    a = (f"It gives {parts[0]}, {parts[1]}, and {parts[2]}. Each digit is a sum of read (4), write (2) and "
         f"execute (1), for owner, group and others in that order; `ls -l` shows it as `-{letters}`.")
    return q, a


def _py_cases(rng: random.Random) -> list[tuple[str, str]]:
    xs = rng.sample(range(1, 40), rng.randint(3, 5))
    a, b = sorted(rng.sample(range(0, len(xs) + 2), 2))
    word = one(rng, ("mississippi", "banana", "bookkeeper", "assessment", "committee", "parallel"))
    sep = one(rng, (",", ";", "|"))
    parts = rng.sample(["a", "b", "", "c", "d"], rng.randint(3, 4))
    n, m = rng.randint(-17, 30), rng.choice((3, 4, 5, 7))
    k = rng.randint(2, 4)
    keys = rng.sample(["id", "name", "total", "status", "owner"], 3)
    vals = rng.sample(range(1, 9), 2)
    start, stop, step = rng.randint(0, 5), rng.randint(10, 20), rng.choice((2, 3, 4))
    return [
        (f"sorted({xs}, reverse=True)", "`sorted` returns a new list (the original is untouched) and `reverse=True` "
                                        "puts the largest first"),
        (f"{xs}[{a}:{b}]", f"a slice runs from index {a} up to but not including index {b}, and indexes past "
                           "the end are simply cut off"),
        (f"len(set({word!r}))", "a set keeps each distinct character once, so this counts the different letters"),
        (f"{sep.join(parts)!r}.split({sep!r})", "`split` keeps empty strings between adjacent separators"),
        (f"({n} // {m}, {n} % {m})", "`//` rounds down (towards negative infinity, not towards zero) and `%` "
                                     "takes the sign of the divisor, so `a == (a // b) * b + a % b` always holds"),
        (f"[x * {k} for x in {xs} if x % 2]", "the comprehension keeps the odd numbers and multiplies each kept one"),
        (f"dict(zip({keys}, {vals}))", "`zip` stops at the shorter input, so the extra key is dropped"),
        (f"list(range({start}, {stop}, {step}))", "`range` includes the start and stops before the end"),
        (f"{word!r}.count({word[1:3]!r})", "`count` counts non-overlapping occurrences of the substring"),
        (f"{word!r}[::-1]", "a step of -1 walks the string backwards"),
    ]


def qa_python(rng: random.Random) -> tuple[str, str]:
    expr, why = one(rng, _py_cases(rng))
    value = eval(expr, {"__builtins__": {"sorted": sorted, "len": len, "set": set, "dict": dict, "zip": zip,
                                         "list": list, "range": range}})
    q = say(rng, one(rng, PYTHON_ASKS), expr=expr)
    return q, f"`{value!r}`: {why}."


HTTP_CODES = {
    200: ("OK", "the request succeeded and the body holds the result"),
    201: ("Created", "a new resource was created; a `Location` header usually points at it"),
    202: ("Accepted", "the request was accepted for processing that has not finished yet"),
    204: ("No Content", "the request succeeded and there is deliberately no body"),
    301: ("Moved Permanently", "the resource has a new permanent URL, given in `Location`"),
    304: ("Not Modified", "the cached copy the client has (per `If-None-Match` or `If-Modified-Since`) is still current"),
    307: ("Temporary Redirect", "repeat the same request, same method and body, at the URL in `Location`"),
    400: ("Bad Request", "the request itself is malformed or invalid, so retrying it unchanged will fail again"),
    401: ("Unauthorized", "authentication is missing or invalid; despite the name it is about who you are"),
    403: ("Forbidden", "the caller is known but not allowed to do this"),
    404: ("Not Found", "there is nothing at that URL (or the server will not say that there is)"),
    405: ("Method Not Allowed", "the URL exists but does not accept this HTTP method"),
    409: ("Conflict", "the request conflicts with the resource's current state, such as a version mismatch"),
    410: ("Gone", "the resource existed but was removed on purpose and will not come back"),
    412: ("Precondition Failed", "a condition such as `If-Match` did not hold, so nothing was changed"),
    413: ("Content Too Large", "the request body is bigger than the server accepts"),
    415: ("Unsupported Media Type", "the server does not accept the body's `Content-Type`"),
    422: ("Unprocessable Content", "the body is well formed but fails validation"),
    429: ("Too Many Requests", "the client is rate limited; a `Retry-After` header may say when to try again"),
    500: ("Internal Server Error", "the server failed unexpectedly; the bug is on the server side"),
    502: ("Bad Gateway", "a proxy or gateway got an invalid answer from the server behind it"),
    503: ("Service Unavailable", "the server is overloaded or down for maintenance; it is worth retrying later"),
    504: ("Gateway Timeout", "a proxy or gateway gave up waiting for the server behind it"),
}


def qa_http(rng: random.Random) -> tuple[str, str]:
    code = one(rng, sorted(HTTP_CODES))
    name, meaning = HTTP_CODES[code]
    q = say(rng, one(rng, HTTP_ASKS), code=code)
    kind = {2: "success", 3: "redirection", 4: "client error", 5: "server error"}[code // 100]
    return q, f"{code} {name} is a {kind} status: {meaning}."


UNITS = (("KiB", 1), ("MiB", 2), ("GiB", 3))


def qa_bytes(rng: random.Random) -> tuple[str, str]:
    n = rng.choice((1, 2, 3, 4, 5, 8, 10, 16, 32, 50, 64, 100, 128, 256, 512))
    unit, power = one(rng, UNITS)
    binary, decimal = n * 1024 ** power, n * 1000 ** power
    q = say(rng, one(rng, BYTES_ASKS), n=n, unit=unit, si=unit.replace("i", ""))
    return q, (f"{n} {unit} is {binary:,} bytes ({n} x 1024^{power}). {n} {unit.replace('i', '')} in SI units is "
               f"{decimal:,} bytes, so the binary unit is {binary - decimal:,} bytes larger.")


DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def qa_cron(rng: random.Random) -> tuple[str, str]:
    m, h = rng.choice((0, 5, 15, 30, 45)), rng.randint(0, 23)
    shape = rng.randrange(5)
    if shape == 0:
        expr, when = f"{m} {h} * * *", f"every day at {h:02d}:{m:02d}"
    elif shape == 1:
        n = rng.choice((5, 10, 15, 20, 30))
        expr, when = f"*/{n} * * * *", f"every {n} minutes, at minutes divisible by {n}"
    elif shape == 2:
        dow = rng.randint(0, 6)
        expr, when = f"{m} {h} * * {dow}", f"every {DAYS[dow]} at {h:02d}:{m:02d}"
    elif shape == 3:
        dom = rng.randint(1, 28)
        expr, when = f"{m} {h} {dom} * *", f"on day {dom} of every month at {h:02d}:{m:02d}"
    else:
        a, b = sorted(rng.sample(range(6, 21), 2))
        expr, when = f"{m} {a}-{b} * * 1-5", f"at minute {m} of every hour from {a:02d}:00 to {b:02d}:00, Monday to Friday"
    q = say(rng, one(rng, CRON_ASKS), expr=expr)
    return q, (f"It runs {when}. The five fields are minute, hour, day of month, month and day of week, in the "
               f"server's time zone unless the scheduler says otherwise.")


def qa_static(rng: random.Random) -> tuple[str, str]:
    asks, answer = one(rng, PLAIN_QA)
    return one(rng, asks), answer


ANSWER_LEADS = ("", "", "", "No need to look at the code for this one. ", "That's general, so no tools needed. ",
                "Short answer: ", "This doesn't depend on the project. ", "Nothing project-specific here. ")
# Shares: the hand-written bank is small, so most plain answers are computed.
PLAIN_KINDS = ((qa_static, 1), (qa_chmod, 2), (qa_python, 4), (qa_http, 2), (qa_bytes, 1), (qa_cron, 2))
