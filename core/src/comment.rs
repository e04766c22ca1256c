//! Comments as structured content, never as marked-up text.
//!
//! A comment is a list of blocks: paragraphs of the app's own words and mentions, and quoted
//! text a person typed (a justification, a reason). The wrapper renders each kind to Jira's ADF
//! on its own terms — words and quoted text only ever as plain text nodes, mentions only from
//! the `mention` items the core writes — so nothing a person types can become a mention or read
//! as the app's own words, whatever characters it holds.

use serde::{Deserialize, Serialize};

use crate::policy::AccountId;

/// One block of a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum CommentBlock {
    /// A paragraph of the app's own words and mentions.
    Paragraph {
        /// Its pieces, in order.
        content: Vec<Inline>,
    },
    /// Text a person typed, quoted as plain text under a label the app wrote.
    UserText {
        /// What the text is (`Justification`, `Reason`), in the app's words.
        label: String,
        /// The text as the person typed it, after cleaning (never empty).
        text: String,
    },
}

/// A piece of a paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Inline {
    /// The app's own words, plain text.
    Text {
        /// The words.
        text: String,
    },
    /// A mention of an account (notifies them).
    #[serde(rename_all = "camelCase")]
    Mention {
        /// The account, always an id the core took from the platform or the policy.
        account_id: AccountId,
    },
}

/// Builds a comment: paragraphs of words and mentions, and quoted user text.
#[derive(Debug, Default)]
pub(crate) struct Comment {
    blocks: Vec<CommentBlock>,
    line: Vec<Inline>,
}

impl Comment {
    /// An empty comment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the app's own words to the current paragraph.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        let text = text.into();
        if text.is_empty() {
            return self;
        }
        if let Some(Inline::Text { text: last }) = self.line.last_mut() {
            last.push_str(&text);
        } else {
            self.line.push(Inline::Text { text });
        }
        self
    }

    /// Appends a mention of `account` to the current paragraph.
    pub fn mention(mut self, account: &str) -> Self {
        self.line.push(Inline::Mention {
            account_id: account.to_owned(),
        });
        self
    }

    /// Ends the current paragraph.
    pub fn paragraph(mut self) -> Self {
        if !self.line.is_empty() {
            self.blocks.push(CommentBlock::Paragraph {
                content: std::mem::take(&mut self.line),
            });
        }
        self
    }

    /// Ends the current paragraph and quotes what a person typed under `label`; nothing when
    /// the text is empty.
    pub fn user_text(self, label: &str, text: &str) -> Self {
        let mut me = self.paragraph();
        if !text.is_empty() {
            me.blocks.push(CommentBlock::UserText {
                label: label.to_owned(),
                text: text.to_owned(),
            });
        }
        me
    }

    /// The blocks.
    pub fn finish(self) -> Vec<CommentBlock> {
        self.paragraph().blocks
    }
}

/// A comment as plain text, for logs and tests: one line per block, mentions as `@id`, user
/// text as `label: “text”`. Never sent to Jira: the wrapper renders the blocks themselves.
pub fn plain_text(blocks: &[CommentBlock]) -> String {
    let mut lines = Vec::with_capacity(blocks.len());
    for block in blocks {
        match block {
            CommentBlock::Paragraph { content } => {
                let mut line = String::new();
                for piece in content {
                    match piece {
                        Inline::Text { text } => line.push_str(text),
                        Inline::Mention { account_id } => {
                            line.push('@');
                            line.push_str(account_id);
                        }
                    }
                }
                lines.push(line);
            }
            CommentBlock::UserText { label, text } => {
                lines.push(format!("{label}: \u{201c}{text}\u{201d}"));
            }
        }
    }
    lines.join("\n")
}
