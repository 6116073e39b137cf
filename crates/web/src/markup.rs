//! The GOV.UK table row, cell, row header and tag as template functions.
//!
//! Pages call these hundreds of times each (a register list of 50 services is 400 cells and
//! tags), and as template macros they were most of a page's rendering time: each call built a
//! macro frame, its keyword arguments and a captured output (issue 18 item 3). They write the
//! markup the macros wrote, byte for byte; the unit tests below render the macros' old source
//! beside them for every combination of arguments. Templates call them as before, including with
//! a call block: `{% call cell(numeric=true) %}…{% endcall %}`.

use minijinja::value::{Kwargs, Rest, ValueKind};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, HtmlEscape, State, Value};
use std::fmt::Write;

pub fn register(env: &mut Environment<'static>) {
    env.add_function("row", row);
    // For a template whose context has a value called `row` (a visit's list row), which hides
    // the function.
    env.add_function("table_row", row);
    env.add_function("cell", cell);
    env.add_function("header_cell", header_cell);
    env.add_function("tag", tag);
}

/// `value` as `{{ value }}` writes it (minijinja's `escape_formatter`): with HTML auto-escaping
/// (every page), safe strings as they are, numbers, booleans and none in their display form,
/// anything else escaped; without, as it displays.
fn put(out: &mut String, state: &State, v: &Value) {
    if v.is_safe() {
        out.push_str(v.as_str().unwrap_or_default());
        return;
    }
    // Writing to a String cannot fail.
    let _ = match (state.auto_escape(), v.kind()) {
        (AutoEscape::None, _) | (_, ValueKind::Undefined | ValueKind::None | ValueKind::Bool | ValueKind::Number) => write!(out, "{v}"),
        _ => match v.as_str() {
            Some(s) => write!(out, "{}", HtmlEscape(s)),
            None => write!(out, "{}", HtmlEscape(&v.to_string())),
        },
    };
}

/// The arguments of a macro-like call: positional ones first, in `names` order, then keywords;
/// a name given twice or not known is an error, as it was for the macro.
struct Args {
    values: Vec<Value>,
    caller: Option<Value>,
}

impl Args {
    fn take(what: &str, names: &[&str], positional: &[Value], kwargs: &Kwargs) -> Result<Args, Error> {
        if positional.len() > names.len() {
            return Err(Error::new(ErrorKind::TooManyArguments, format!("{what}() takes at most {} arguments", names.len())));
        }
        let mut values: Vec<Value> = positional.to_vec();
        for name in &names[positional.len()..] {
            values.push(kwargs.get::<Option<Value>>(name)?.unwrap_or(Value::from(())));
        }
        for name in &names[..positional.len()] {
            if kwargs.has(name) {
                return Err(Error::new(ErrorKind::TooManyArguments, format!("{what}(): {name} given twice")));
            }
        }
        let caller = kwargs.get::<Option<Value>>("caller")?;
        kwargs.assert_all_used()?;
        Ok(Args { values, caller })
    }

    fn caller_output(&self, state: &State) -> Result<Option<Value>, Error> {
        self.caller.as_ref().map(|c| c.call(state, &[])).transpose()
    }
}

/// `<tr class="govuk-table__row">` around the call block's cells.
fn row(state: &State, kwargs: Kwargs) -> Result<Value, Error> {
    let args = Args::take("row", &[], &[], &kwargs)?;
    let body = args.caller_output(state)?.ok_or_else(|| Error::new(ErrorKind::MissingArgument, "row() needs a call block"))?;
    let mut out = String::from("<tr class=\"govuk-table__row\">\n  ");
    put(&mut out, state, &body);
    out.push_str("\n</tr>\n");
    Ok(Value::from_safe_string(out))
}

/// A data cell: `cell(text=none, numeric=false, href=none, colspan=none, classes=none)`, or the
/// call block's content.
fn cell(state: &State, positional: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let args = Args::take("cell", &["text", "numeric", "href", "colspan", "classes"], &positional, &kwargs)?;
    DATA_CELL.write(state, &args)
}

/// A row's title (`<th scope="row">`): `header_cell(text=none, numeric=false, href=none,
/// colspan=none)`, or the call block's content.
fn header_cell(state: &State, positional: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let args = Args::take("header_cell", &["text", "numeric", "href", "colspan"], &positional, &kwargs)?;
    ROW_HEADER.write(state, &args)
}

/// A data cell or a row header: the same attributes and content, different elements.
struct Cell {
    open: &'static str,
    numeric_class: &'static str,
    close: &'static str,
}

const DATA_CELL: Cell = Cell { open: "<td class=\"govuk-table__cell", numeric_class: " govuk-table__cell--numeric", close: "</td>" };
const ROW_HEADER: Cell =
    Cell { open: "<th scope=\"row\" class=\"govuk-table__header", numeric_class: " govuk-table__header--numeric", close: "</th>" };

impl Cell {
    /// `args`: text, numeric, href, colspan and (a data cell's only) classes.
    fn write(&self, state: &State, args: &Args) -> Result<Value, Error> {
        let [text, numeric, href, colspan, rest @ ..] = &args.values[..] else { return Err(wrong_count()) };
        let classes = rest.first();
        let mut out = String::from(self.open);
        if numeric.is_true() {
            out.push_str(self.numeric_class);
        }
        if let Some(classes) = classes.filter(|c| c.is_true()) {
            out.push(' ');
            put(&mut out, state, classes);
        }
        out.push('"');
        if colspan.is_true() {
            out.push_str(" colspan=\"");
            put(&mut out, state, colspan);
            out.push('"');
        }
        out.push('>');
        if let Some(body) = args.caller_output(state)? {
            put(&mut out, state, &body);
        } else if href.is_true() {
            link(&mut out, state, href, text);
        } else if !text.is_none() {
            put(&mut out, state, text);
        }
        out.push_str(self.close);
        Ok(Value::from_safe_string(out))
    }
}

/// A tag: `tag(text, colour_class=none)`.
fn tag(state: &State, positional: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let args = Args::take("tag", &["text", "colour_class"], &positional, &kwargs)?;
    if args.caller.is_some() {
        return Err(Error::new(ErrorKind::TooManyArguments, "tag() takes no call block"));
    }
    let [text, colour_class] = &args.values[..] else { return Err(wrong_count()) };
    let mut out = String::from("<strong class=\"govuk-tag");
    if colour_class.is_true() {
        out.push(' ');
        put(&mut out, state, colour_class);
    }
    out.push_str("\">");
    put(&mut out, state, text);
    out.push_str("</strong>\n");
    Ok(Value::from_safe_string(out))
}

fn link(out: &mut String, state: &State, href: &Value, text: &Value) {
    out.push_str("<a class=\"govuk-link\" href=\"");
    put(out, state, href);
    out.push_str("\">");
    put(out, state, text);
    out.push_str("</a>");
}

/// `Args::take` returns exactly as many values as names; this is never reached.
#[cold]
fn wrong_count() -> Error {
    Error::new(ErrorKind::InvalidOperation, "arguments were not read")
}

#[cfg(test)]
mod tests {
    use minijinja::Environment;

    /// The macros these functions replaced, as they were in templates/macros.html.
    const OLD: &str = include_str!("markup_old_macros.html");

    fn env() -> Environment<'static> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.add_template("old.html", OLD).expect("the old macros compile");
        super::register(&mut env);
        env
    }

    /// Rendered as a page is: a `.html` template, so with HTML auto-escaping.
    fn render(env: &Environment<'static>, source: &str) -> String {
        let template = env.template_from_named_str("page.html", source).expect(source);
        template.render(minijinja::context! { text_value => "Oak & Ash <House>", n => 74 }).expect(source)
    }

    /// Every combination of every argument, as a plain call and with a call block, renders
    /// what the macro rendered.
    #[test]
    fn each_function_writes_what_its_macro_wrote() {
        let env = env();
        let texts = ["", "none", "text_value", "n", "1.5", "true", "'<b>x</b>' | safe", "''", "'Good'"];
        let flags = ["", "numeric=true", "numeric=false"];
        let hrefs = ["", "href='/homes/1?a=1&b=2'", "href=''"];
        let colspans = ["", "colspan=2"];
        let classes = ["", "classes='govuk-body-s'"];
        let mut checked = 0;
        for text in texts {
            for flag in flags {
                for href in hrefs {
                    for colspan in colspans {
                        let header_args: Vec<&str> = [text, flag, href, colspan].into_iter().filter(|a| !a.is_empty()).collect();
                        for class in classes {
                            let args: Vec<&str> = [text, flag, href, colspan, class].into_iter().filter(|a| !a.is_empty()).collect();
                            let args = args.join(", ");
                            for (old, new) in [
                                (format!("{{% import 'old.html' as old %}}{{{{ old.cell({args}) }}}}"), format!("{{{{ cell({args}) }}}}")),
                                (
                                    format!(
                                        "{{% import 'old.html' as old %}}{{% call old.cell({args}) %}}<em>{{{{ n }}}}</em>{{% endcall %}}"
                                    ),
                                    format!("{{% call cell({args}) %}}<em>{{{{ n }}}}</em>{{% endcall %}}"),
                                ),
                            ] {
                                assert_eq!(render(&env, &new), render(&env, &old), "{new}");
                                checked += 1;
                            }
                        }
                        let args = header_args.join(", ");
                        for (old, new) in [
                            (
                                format!("{{% import 'old.html' as old %}}{{{{ old.header_cell({args}) }}}}"),
                                format!("{{{{ header_cell({args}) }}}}"),
                            ),
                            (
                                format!("{{% import 'old.html' as old %}}{{% call old.header_cell({args}) %}}<em>x</em>{{% endcall %}}"),
                                format!("{{% call header_cell({args}) %}}<em>x</em>{{% endcall %}}"),
                            ),
                        ] {
                            assert_eq!(render(&env, &new), render(&env, &old), "{new}");
                            checked += 1;
                        }
                    }
                }
            }
            for colour in ["", ", 'caremarket-rating--good'", ", colour_class='govuk-tag--red'", ", none", ", ''"] {
                if text.is_empty() {
                    continue;
                }
                let old = format!("{{% import 'old.html' as old %}}{{{{ old.tag({text}{colour}) }}}}");
                let new = format!("{{{{ tag({text}{colour}) }}}}");
                assert_eq!(render(&env, &new), render(&env, &old), "{new}");
                checked += 1;
            }
        }
        let old = "{% import 'old.html' as old %}{% call old.row() %}\n  {{ old.header_cell('A') }}{{ old.cell(n, numeric=true) }}\n{% endcall %}";
        let new = "{% call row() %}\n  {{ header_cell('A') }}{{ cell(n, numeric=true) }}\n{% endcall %}";
        assert_eq!(render(&env, new), render(&env, old));
        assert!(checked > 1000, "{checked} combinations");
        // What a reader sees, worked out by hand: escaped text, a link, the numeric class.
        assert_eq!(
            render(&env, "{{ cell(text_value, href='/a?b=1&c=2', numeric=true) }}"),
            r#"<td class="govuk-table__cell govuk-table__cell--numeric"><a class="govuk-link" href="&#x2f;a?b=1&amp;c=2">Oak &amp; Ash &lt;House&gt;</a></td>"#
        );
    }

    /// A mistyped argument is an error, as it was for the macros, not silently dropped.
    #[test]
    fn an_unknown_argument_is_an_error() {
        let env = env();
        for source in [
            "{{ cell('a', numbered=true) }}",
            "{{ tag('a', 'b', 'c') }}",
            "{{ header_cell('a', colour='x') }}",
            "{{ cell('a', text='b') }}",
        ] {
            let rendered = env.template_from_named_str("page.html", source).and_then(|t| t.render(minijinja::context! {}));
            assert!(rendered.is_err(), "{source}");
        }
    }
}
