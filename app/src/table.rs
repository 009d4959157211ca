//! Tables as plain data, rendered by one component.
//!
//! Every view in Leptos is its own generic type, and each distinct table layout written with
//! `view!` compiles to its own copy of the rendering code: the wasm grows with every table. Pages
//! here build a [`Table`] of strings instead, and [`DataTable`] renders all of them with one copy.
//! Buttons inside a table carry an action name and a value; one click handler on the table hands
//! them to the page, so rows need no closures of their own.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cell {
    pub text: String,
    /// CSS class of the cell, e.g. `suppressed`, `cell-deficit`.
    pub class: &'static str,
    /// Tooltip.
    pub title: Option<String>,
    /// `data-testid`, for cells the tests read.
    pub testid: Option<&'static str>,
    /// Buttons `(label, action, value)`; a click reports `(action, value)`.
    pub buttons: Vec<(String, &'static str, String)>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell { text: text.into(), ..Cell::default() }
    }

    pub fn class(mut self, class: &'static str) -> Cell {
        self.class = class;
        self
    }

    pub fn title(mut self, title: impl Into<String>) -> Cell {
        self.title = Some(title.into());
        self
    }

    pub fn testid(mut self, id: &'static str) -> Cell {
        self.testid = Some(id);
        self
    }

    pub fn button(mut self, label: impl Into<String>, action: &'static str, value: impl Into<String>) -> Cell {
        self.buttons.push((label.into(), action, value.into()));
        self
    }
}

impl<T: Into<String>> From<T> for Cell {
    fn from(text: T) -> Cell {
        Cell::text(text)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    /// `data-row`: what tests and styles find the row by (a school's or a login's name).
    pub key: String,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn new(key: impl Into<String>, cells: Vec<Cell>) -> Row {
        Row { key: key.into(), cells }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Row>,
    pub foot: Option<Row>,
    /// `data-testid` of the table.
    pub testid: Option<&'static str>,
}

/// A row; `labels` (the columns' headings) name each cell of a table read as cards on a phone.
fn row_view(row: Row, labels: Option<&[String]>) -> impl IntoView + use<> {
    let cells = row
        .cells
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let buttons = c
                .buttons
                .into_iter()
                .map(|(label, action, value)| {
                    view! { <button class="btn small" type="button" data-action=action data-value=value>{label}</button> }
                })
                .collect_view();
            // The first cell is the card's title (a report, a school): it needs no name.
            let label = labels.and_then(|l| l.get(i)).filter(|l| i > 0 && !l.is_empty()).cloned();
            view! { <td class=c.class title=c.title data-testid=c.testid data-label=label>{c.text}{buttons}</td> }
        })
        .collect_view();
    view! { <tr data-row=row.key>{cells}</tr> }
}

/// Renders a [`Table`]; clicks on its buttons go to `on_action` as `(action, value)`.
///
/// A table whose rows have buttons is read on a phone as a card per row, each cell named by its
/// column: a row's button is never past the screen's edge in a frame scrolled sideways.
#[component]
pub fn DataTable(table: Table, #[prop(optional)] on_action: Option<Callback<(String, String)>>) -> impl IntoView {
    let click = move |ev: leptos::ev::MouseEvent| {
        let Some(on_action) = on_action else { return };
        let button = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("button[data-action]").ok().flatten());
        if let Some(button) = button {
            let attr = |name| button.get_attribute(name).unwrap_or_default();
            on_action.run((attr("data-action"), attr("data-value")));
        }
    };
    let cards = table.rows.iter().any(|r| r.cells.iter().any(|c| !c.buttons.is_empty()));
    let labels = cards.then_some(table.head.as_slice());
    let rows = table.rows.into_iter().map(|r| row_view(r, labels)).collect_view();
    let foot = table.foot.map(|r| view! { <tfoot>{row_view(r, labels)}</tfoot> });
    let head = table.head.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view();
    view! {
        <div class="table-wrap">
            <table class=cards.then_some("stack-phone") data-testid=table.testid on:click=click>
                <thead><tr>{head}</tr></thead>
                <tbody>{rows}</tbody>
                {foot}
            </table>
        </div>
    }
}
