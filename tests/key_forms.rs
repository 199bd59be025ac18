//! Key forms a black-box sweep found passing unredacted (2026-12-06), each now redacted, and
//! the look-alikes that must stay as they are.
//!
//! - a secret key name extended by a suffix that names the same secret again or a hash of it:
//!   `password_confirmation` (Rails, Laravel), `passwordConfirmation`, `password-confirm`,
//!   `password2` / `new_password2` (Django), `password_hash`, `passwordHash`, `password_digest`;
//! - a command-line flag with its value after a space: `--password hunter2`, `--token abc`,
//!   `--api-key X` (`ps`, audit and CI logs);
//! - PHP `print_r` (`[password] => hunter2`) and `var_dump` (`["password"]=> string(7) "…"`),
//!   form parameters (`user[password]=…`).
//!
//! Only the value changes: the key, separators and quotes stay byte-identical, and a second
//! scrub changes nothing. Values are obviously fake passwords (no token shapes).

use logscrub::format::{ChunkInfo, Format, FormatScrubber, FormatState};

use crate::util::{self, show};

/// Scrubs `input` twice with the core scrubber (asserting the second pass changes nothing)
/// and once through the `--format auto` layer (asserting the same output).
fn scrub(input: &str) -> String {
    let once = util::scrub_line(input.as_bytes());
    let twice = util::scrub_line(&once);
    assert!(twice == once, "not idempotent\ninput: {input}\nonce:  {}\ntwice: {}", show(&once), show(&twice));
    let fmt = FormatScrubber::new(util::scrubber(), Format::Auto, 1 << 20);
    let mut st = FormatState::default();
    let chunk = format!("{input}\n");
    let auto = fmt.scrub_chunk(chunk.as_bytes(), &mut st, ChunkInfo::default()).to_vec();
    let mut want = once.clone();
    want.push(b'\n');
    assert!(auto == want, "--format auto differs\ninput: {input}\ncore:  {}\nauto:  {}", show(&once), show(&auto));
    String::from_utf8(once).expect("ASCII in, ASCII out")
}

/// Each `(input, expected)` pair, reported all at once.
pub(crate) fn check(cases: &[(&str, &str)]) {
    let bad: Vec<String> = cases
        .iter()
        .filter_map(|(input, want)| {
            let got = scrub(input);
            (got != *want).then(|| format!("\ninput: {input}\nwant:  {want}\ngot:   {got}"))
        })
        .collect();
    assert!(bad.is_empty(), "{} case(s) wrong:{}", bad.len(), bad.concat());
}

/// Each line must pass byte-identical.
pub(crate) fn unchanged(lines: &[&str]) {
    let changed: Vec<(&str, String)> =
        lines.iter().map(|l| (*l, scrub(l))).filter(|(l, got)| got.as_str() != *l).collect();
    assert!(changed.is_empty(), "changed: {changed:#?}");
}

// ---- 1. a suffix that extends a secret key name ---------------------------------------------

#[test]
fn a_confirmation_suffix_extends_a_secret_key() {
    check(&[
        ("password_confirmation=hunter2", "password_confirmation=[REDACTED]"),
        ("passwordConfirmation=hunter2", "passwordConfirmation=[REDACTED]"),
        ("password-confirm=hunter2", "password-confirm=[REDACTED]"),
        ("new_password_confirmation=hunter2&x=1", "new_password_confirmation=[REDACTED]&x=1"),
        (r#"{"password_confirmation":"hunter2","ok":1}"#, r#"{"password_confirmation":"[REDACTED]","ok":1}"#),
        (r#"{"passwordConfirmation": "hunter2"}"#, r#"{"passwordConfirmation": "[REDACTED]"}"#),
        ("PASSWORD_CONFIRMATION: hunter2", "PASSWORD_CONFIRMATION: [REDACTED]"),
        ("password_repeat=hunter2 passwordAgain=hunter2", "password_repeat=[REDACTED] passwordAgain=[REDACTED]"),
        // Django's UserCreationForm and SetPasswordForm.
        ("password1=hunter2&password2=hunter2", "password1=[REDACTED]&password2=[REDACTED]"),
        ("new_password1=hunter2&new_password2=hunter2", "new_password1=[REDACTED]&new_password2=[REDACTED]"),
    ]);
}

#[test]
fn a_hash_or_digest_suffix_extends_a_secret_key() {
    check(&[
        ("passwordHash=fakehash0000", "passwordHash=[REDACTED]"),
        ("password_hash=fakehash0000", "password_hash=[REDACTED]"),
        ("password_digest=fakedigest00", "password_digest=[REDACTED]"),
        (r#"{"password_hash":"fakehash0000"}"#, r#"{"password_hash":"[REDACTED]"}"#),
        ("user.password_digest = 'fakedigest00'", "user.password_digest = '[REDACTED]'"),
        ("refresh_token_hash=fakehash0000", "refresh_token_hash=[REDACTED]"),
    ]);
}

#[test]
fn a_suffixed_key_holding_a_json_container_has_its_leaves_redacted() {
    check(&[(r#"{"password_confirmation":["hunter2"],"n":1}"#, r#"{"password_confirmation":["[REDACTED]"],"n":1}"#)]);
}

#[test]
fn other_suffixes_do_not_extend_a_secret_key() {
    unchanged(&[
        "password_policy=strict",
        "password_length=12",
        "password_expired=true",
        "password_expired=yes",
        "token_type=Bearer",
        "token_count=3",
        "session_timeout=30",
        "passwordless=true",
        "passwordless=enabled",
        // A key id is not the key.
        "api_key_id=AKID000",
        r#"{"api_key_id":"AKID000","token_type":"Bearer","password_length":12}"#,
        // The suffix must end the key.
        "password_confirmed=yes",
        "password_hashed=yes",
        "password_hash_algorithm=bcrypt",
        "password_confirmation_required=yes",
        "session_hashes=4",
    ]);
}

// ---- 2. a command-line flag and its value ---------------------------------------------------

#[test]
fn a_flag_and_its_value_after_a_space_are_a_key_and_its_value() {
    check(&[
        ("--password hunter2", "--password [REDACTED]"),
        ("--password 'hunter 2'", "--password '[REDACTED]'"),
        (r#"--password "hunter 2" --verbose"#, r#"--password "[REDACTED]" --verbose"#),
        ("app --token abc123 --port 80", "app --token [REDACTED] --port 80"),
        ("app --api-key fakekey01", "app --api-key [REDACTED]"),
        ("app --client-secret fakesecret", "app --client-secret [REDACTED]"),
        (
            "root  4711  0.0 /usr/bin/app --db-password hunter2 --verbose",
            "root  4711  0.0 /usr/bin/app --db-password [REDACTED] --verbose",
        ),
        ("app --password\thunter2", "app --password\t[REDACTED]"),
        // Go's flag package takes one dash.
        ("app -token abc123", "app -token [REDACTED]"),
        // A value that is not a plain word: the flag's whole argument.
        ("app --password p@ss;w0rd|x next", "app --password [REDACTED] next"),
        // Inside a JSON string: the value stops at the string's end.
        (r#"{"cmd":"app --token abc123","pid":1}"#, r#"{"cmd":"app --token [REDACTED]","pid":1}"#),
        // A suffixed name is a flag too.
        ("app --password-confirm hunter2", "app --password-confirm [REDACTED]"),
        // Already working: `=` and `:` separators.
        ("app --password=hunter2", "app --password=[REDACTED]"),
    ]);
}

#[test]
fn a_flag_without_a_value_leaves_the_next_flag() {
    unchanged(&[
        "run --password --verbose",
        "run --password",
        "run --password ",
        "run --token -v",
        // Short flags are too ambiguous.
        "mysql -p hunter2",
        "app -p hunter2",
        // Another flag that only names a secret.
        "app --password-file /run/secrets/db",
        "docker login --password-stdin host",
        "app --token-file /run/secrets/token",
        "psql --no-password appdb",
        // Not a flag: the dash is inside a word, or there are three.
        "reset-password hunter2",
        "x ---password hunter2",
        "dbus-daemon --session --address=systemd: --nofork",
        "app --password *** --verbose",
        // A flag named in a sentence or a usage line.
        "Use --token to authenticate",
        "error: --password is required",
        "pass --token or set APP_TOKEN",
        "usage: app --token <token>",
    ]);
}

#[test]
fn a_flag_element_of_an_argv_list_has_the_next_element_redacted() {
    check(&[
        // JSON arrays (a Kubernetes pod spec's args, a CI step, an exec audit record).
        (
            r#"{"msg":"exec","args":["mysql","--password","Hunter2x9","-h","db"]}"#,
            r#"{"msg":"exec","args":["mysql","--password","[REDACTED]","-h","db"]}"#,
        ),
        (r#"args=["deploy", "--token", "Zq8xKp2mW"]"#, r#"args=["deploy", "--token", "[REDACTED]"]"#),
        (r#"["app","-token" , "Zq8xKp2mW"]"#, r#"["app","-token" , "[REDACTED]"]"#),
        (r#"["app","--api-key","Zq8x Kp2mW"]"#, r#"["app","--api-key","[REDACTED]"]"#),
        // Escaped inside a JSON string.
        (
            r#"{"cmd":"[\"mysql\",\"--password\",\"Hunter2x9\"]"}"#,
            r#"{"cmd":"[\"mysql\",\"--password\",\"[REDACTED]\"]"}"#,
        ),
        // Python's list repr (subprocess, Ansible).
        ("argv: ['deploy', '--token', 'Zq8xKp2mW']", "argv: ['deploy', '--token', '[REDACTED]']"),
        ("argv: ['--password', 'it''s']", "argv: ['--password', '[REDACTED]''s']"),
        // A quoted `"<password>"` is a placeholder only while no end tag shows an element.
        (r#"x "<password>"Hunter2x9</password>""#, r#"x "<password>[REDACTED]</password>""#),
    ]);
}

#[test]
fn an_argv_flag_element_without_a_value_element_leaves_the_list() {
    unchanged(&[
        r#"["app","--password"]"#,
        r#"["app","--password", "--verbose"]"#,
        r#"["app","--password", 5]"#,
        r#"["app","--token", "<token>"]"#,
        "usage: app --token '<token>' [--verbose]",
        r#"["app","--token", ""]"#,
        r#"["app","--token"], ["other"]"#,
        r#"["app","--no-password","db"]"#,
        r#"["app","--password-file","/run/secrets/db"]"#,
        // Quotes that do not pair: not one element.
        r#"["app","--token', 'x']"#,
        "['--token\", 'x']",
    ]);
}

// ---- 3. PHP, Ruby, Perl and Python dumps ------------------------------------------------------

#[test]
fn php_print_r_members_are_key_values() {
    check(&[
        ("    [password] => hunter2", "    [password] => [REDACTED]"),
        ("    [db_password] => hunter 2", "    [db_password] => [REDACTED]"),
        ("    [password] => hunter2\r", "    [password] => [REDACTED]\r"),
        (
            "Array ( [user] => bob [password] => hunter2 [remember] => 1 )",
            "Array ( [user] => bob [password] => [REDACTED] [remember] => 1 )",
        ),
        ("Array ( [password] => hunter 2 )", "Array ( [password] => [REDACTED] )"),
        ("Array ( [auth] => Array ( [token] => abc123 ) )", "Array ( [auth] => Array ( [token] => [REDACTED] ) )"),
        ("    [password_confirmation] => hunter2", "    [password_confirmation] => [REDACTED]"),
        // Escaped newlines: a print_r dump inside a quoted string.
        (
            r#"msg="Array\n(\n    [password] => hunter2\n)\n" x=1"#,
            r#"msg="Array\n(\n    [password] => [REDACTED]\n)\n" x=1"#,
        ),
    ]);
}

#[test]
fn php_var_dump_members_are_key_values() {
    check(&[
        (r#"["password"]=> string(7) "hunter2""#, r#"["password"]=> string(7) "[REDACTED]""#),
        (r#"  ["password"]=>  string(8) "hunter 2" "#, r#"  ["password"]=>  string(8) "[REDACTED]" "#),
        // A quote inside the string: its length says where it ends.
        (r#"["password"]=> string(8) "hun"ter2" }"#, r#"["password"]=> string(8) "[REDACTED]" }"#),
        (r#"["password":protected]=> string(7) "hunter2""#, r#"["password":protected]=> string(7) "[REDACTED]""#),
        (
            r#"["password":"App\User":private]=> string(7) "hunter2""#,
            r#"["password":"App\User":private]=> string(7) "[REDACTED]""#,
        ),
        (r#"["pin_password"]=> int(123456)"#, r#"["pin_password"]=> int([REDACTED])"#),
        (r#"array(1) { ["token"]=> string(6) "abc123" }"#, r#"array(1) { ["token"]=> string(6) "[REDACTED]" }"#),
    ]);
}

#[test]
fn php_structure_and_empty_values_are_not_secrets() {
    unchanged(&[
        "    [password] => Array",
        "    [token] => App\\Token Object",
        "    [password] => ",
        r#"["password"]=> NULL"#,
        r#"["password"]=> bool(false)"#,
        r#"["password"]=>"#,
        // A bracketed word in a log prefix is not a key.
        "[session] started for bob",
        "[session]: started",
        "[token] refresh ok",
    ]);
}

#[test]
fn form_parameters_with_a_bracketed_key_are_key_values() {
    check(&[
        (
            "user[password]=hunter2&user[password_confirmation]=hunter2&commit=Save",
            "user[password]=[REDACTED]&user[password_confirmation]=[REDACTED]&commit=Save",
        ),
        ("user%5Bpassword%5D=hunter2&x=1", "user%5Bpassword%5D=[REDACTED]&x=1"),
        ("$_POST['password'] = 'hunter2'", "$_POST['password'] = '[REDACTED]'"),
    ]);
}

#[test]
fn ruby_perl_and_python_hashes_are_key_values() {
    // These already worked; kept as a guard.
    check(&[
        (r#":password => "hunter2""#, r#":password => "[REDACTED]""#),
        (r#""password" => "hunter2""#, r#""password" => "[REDACTED]""#),
        (r#"{"password"=>"hunter2", "user"=>"bob"}"#, r#"{"password"=>"[REDACTED]", "user"=>"bob"}"#),
        (r#"password: "hunter2""#, r#"password: "[REDACTED]""#),
        (r#"{password: "hunter2", user: "bob"}"#, r#"{password: "[REDACTED]", user: "bob"}"#),
        ("{'password': 'hunter2', 'user': 'bob'}", "{'password': '[REDACTED]', 'user': 'bob'}"),
        ("  'password' => 'hunter2',", "  'password' => '[REDACTED]',"),
        ("$VAR1 = { 'password' => 'hunter2' };", "$VAR1 = { 'password' => '[REDACTED]' };"),
    ]);
}

// ---- Docker json-file: Go escapes `>` ---------------------------------------------------------

#[test]
fn an_arrow_go_escaped_in_a_docker_line_still_separates_a_key() {
    let docker = |msg: &str| format!(r#"{{"log":"{msg}\n","stream":"stdout","time":"2024-05-01T10:00:00.2Z"}}"#);
    let fmt = FormatScrubber::new(util::scrubber(), Format::Auto, 1 << 20);
    for (msg, want) in [
        (r#"    [password] =\u003e hunter2"#, r#"    [password] =\u003e [REDACTED]"#),
        (r#":password =\u003e \"hunter2\""#, r#":password =\u003e \"[REDACTED]\""#),
        (r#"[\"password\"]=\u003e string(7) \"hunter2\""#, r#"[\"password\"]=\u003e string(7) \"[REDACTED]\""#),
        // No key: the line stays as it is.
        (r#"a =\u003e b \u003cc\u003e"#, r#"a =\u003e b \u003cc\u003e"#),
    ] {
        let (input, want) = (docker(msg) + "\n", docker(want) + "\n");
        let mut st = FormatState::default();
        let once = fmt.scrub_chunk(input.as_bytes(), &mut st, ChunkInfo::default()).to_vec();
        assert_eq!(show(&once), show(want.as_bytes()), "input: {input}");
        let mut st = FormatState::default();
        let twice = fmt.scrub_chunk(&once, &mut st, ChunkInfo::default()).to_vec();
        assert_eq!(show(&twice), show(&once), "idempotent");
    }
}
