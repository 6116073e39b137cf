//! Evidence files (issue 16 item 18): files attached to quality actions, quality visits and
//! outcome claims. This module holds the rules that need no storage: which records take files,
//! which kinds of file are accepted (told from the content, never the name or the browser's
//! word), how a file's name is made safe to keep and to send back, and who may see or change a
//! record's files.

use crate::access::{Permission, Role};

/// The largest evidence file accepted unless the service is configured otherwise.
pub const DEFAULT_MAX_BYTES: usize = 20 * 1024 * 1024;

/// The longest file name kept (characters); longer names keep their end (the extension).
pub const MAX_NAME_CHARS: usize = 120;

/// The records that carry evidence files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A quality action (an action plan's line).
    Action,
    /// A quality monitoring visit.
    Visit,
    /// An outcome claim on an outcomes-based contract.
    Claim,
    /// A provider's cost of care return: the accounts and rotas behind its figures.
    CostOfCareReturn,
}

impl RecordKind {
    pub const ALL: [RecordKind; 4] = [RecordKind::Action, RecordKind::Visit, RecordKind::Claim, RecordKind::CostOfCareReturn];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Action => "action",
            RecordKind::Visit => "visit",
            RecordKind::Claim => "claim",
            RecordKind::CostOfCareReturn => "cost_of_care_return",
        }
    }

    pub fn parse(s: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The record's name in a sentence ("added to the action").
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Action => "action",
            RecordKind::Visit => "visit",
            RecordKind::Claim => "outcome claim",
            RecordKind::CostOfCareReturn => "cost of care return",
        }
    }

    /// The permission to read the record's page (and so its files), for council roles.
    fn view_permission(self) -> Permission {
        match self {
            RecordKind::Action | RecordKind::Visit => Permission::ViewQuality,
            RecordKind::Claim => Permission::ViewOutcomes,
            RecordKind::CostOfCareReturn => Permission::ViewCostOfCare,
        }
    }

    /// The permission to change the record (add or remove its files), for council roles.
    fn change_permission(self) -> Permission {
        match self {
            RecordKind::Action | RecordKind::Visit => Permission::RecordQuality,
            RecordKind::Claim => Permission::ManageOutcomes,
            RecordKind::CostOfCareReturn => Permission::ManageFees,
        }
    }

    /// Whether a provider may see and add files on its own records of this kind (through the
    /// portal): its actions and the outcome claims it sent, not the council's visits.
    fn provider_may_attach(self) -> bool {
        matches!(self, RecordKind::Action | RecordKind::Claim | RecordKind::CostOfCareReturn)
    }
}

/// Who is asking, as far as evidence is concerned: a role and, for a provider account, its
/// provider.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub role: Role,
    pub provider_id: Option<&'a str>,
}

impl Viewer<'_> {
    /// A provider account whose provider owns the record.
    fn owns(&self, kind: RecordKind, owner: Option<&str>) -> bool {
        kind.provider_may_attach()
            && self.role.can(Permission::ProviderPortal)
            && matches!((self.provider_id, owner), (Some(mine), Some(theirs)) if mine == theirs)
    }

    /// May see the files of some record: checked before any record is looked up, so that a
    /// role without any part in evidence is refused whatever the address names.
    pub fn may_see_any(&self) -> bool {
        RecordKind::ALL.iter().any(|k| self.role.can(k.view_permission())) || self.role.can(Permission::ProviderPortal)
    }

    /// May add files to some record (checked before any record is looked up).
    pub fn may_add_any(&self) -> bool {
        RecordKind::ALL.iter().any(|k| self.role.can(k.change_permission())) || self.role.can(Permission::ProviderPortal)
    }

    /// May remove files from some record (checked before any record is looked up).
    pub fn may_remove_any(&self) -> bool {
        RecordKind::ALL.iter().any(|k| self.may_remove(*k))
    }

    /// May see the record's files (list and download).
    pub fn may_see(&self, kind: RecordKind, owner: Option<&str>) -> bool {
        self.role.can(kind.view_permission()) || self.owns(kind, owner)
    }

    /// May add files to the record.
    pub fn may_add(&self, kind: RecordKind, owner: Option<&str>) -> bool {
        self.role.can(kind.change_permission()) || self.owns(kind, owner)
    }

    /// May remove a file from the record: council officers who may change it, not providers
    /// (a file a provider sent stays as evidence of what was sent).
    pub fn may_remove(&self, kind: RecordKind) -> bool {
        self.role.can(kind.change_permission())
    }
}

/// The kinds of file accepted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
    Docx,
    Xlsx,
    Pptx,
    Doc,
    Xls,
    Odt,
    Ods,
}

impl FileType {
    pub const ALL: [FileType; 12] = [
        FileType::Pdf,
        FileType::Png,
        FileType::Jpeg,
        FileType::Gif,
        FileType::Webp,
        FileType::Docx,
        FileType::Xlsx,
        FileType::Pptx,
        FileType::Doc,
        FileType::Xls,
        FileType::Odt,
        FileType::Ods,
    ];

    /// The type of a file from its first bytes (its content), or `None` when it is not one of
    /// the accepted kinds. Office documents are zip (or OLE) files with the right parts inside,
    /// which `infer` looks for; a zip of anything else is not accepted.
    pub fn detect(bytes: &[u8]) -> Option<FileType> {
        use infer::{archive, doc, image, odf};
        let checks: [(Matcher, FileType); 12] = [
            (archive::is_pdf, FileType::Pdf),
            (image::is_png, FileType::Png),
            (image::is_jpeg, FileType::Jpeg),
            (image::is_gif, FileType::Gif),
            (image::is_webp, FileType::Webp),
            (doc::is_docx, FileType::Docx),
            (doc::is_xlsx, FileType::Xlsx),
            (doc::is_pptx, FileType::Pptx),
            (odf::is_odt, FileType::Odt),
            (odf::is_ods, FileType::Ods),
            (doc::is_doc, FileType::Doc),
            (doc::is_xls, FileType::Xls),
        ];
        checks.iter().find(|(is, _)| is(bytes)).map(|(_, t)| *t)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Png => "png",
            FileType::Jpeg => "jpeg",
            FileType::Gif => "gif",
            FileType::Webp => "webp",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
            FileType::Pptx => "pptx",
            FileType::Doc => "doc",
            FileType::Xls => "xls",
            FileType::Odt => "odt",
            FileType::Ods => "ods",
        }
    }

    pub fn parse(s: &str) -> Option<FileType> {
        FileType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The type in words, for pages.
    pub fn label(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Png => "PNG image",
            FileType::Jpeg => "JPEG image",
            FileType::Gif => "GIF image",
            FileType::Webp => "WebP image",
            FileType::Docx => "Word document",
            FileType::Xlsx => "Excel spreadsheet",
            FileType::Pptx => "PowerPoint presentation",
            FileType::Doc => "Word 97-2003 document",
            FileType::Xls => "Excel 97-2003 spreadsheet",
            FileType::Odt => "OpenDocument text",
            FileType::Ods => "OpenDocument spreadsheet",
        }
    }

    /// The content type the file is served with.
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Gif => "image/gif",
            FileType::Webp => "image/webp",
            FileType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Pptx => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            FileType::Doc => "application/msword",
            FileType::Xls => "application/vnd.ms-excel",
            FileType::Odt => "application/vnd.oasis.opendocument.text",
            FileType::Ods => "application/vnd.oasis.opendocument.spreadsheet",
        }
    }
}

/// One of `infer`'s checks of a file's first bytes.
type Matcher = fn(&[u8]) -> bool;

/// The accepted kinds in words, for hints and errors.
pub const ACCEPTED_IN_WORDS: &str =
    "a PDF, a PNG, JPEG, GIF or WebP image, a Word, Excel or PowerPoint document, or an OpenDocument text or spreadsheet";

/// A file's name as kept and sent back: the last part of the path the browser gave, without
/// control characters, quotes, slashes or semicolons (it goes into a Content-Disposition
/// header), spaces tidied, at most [`MAX_NAME_CHARS`] characters keeping the end, and
/// "evidence" when nothing is left.
pub fn safe_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String =
        last.chars().map(|c| if c.is_control() || matches!(c, '"' | '\'' | ';' | '<' | '>' | '`') { ' ' } else { c }).collect();
    let tidy = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let tidy = tidy.trim_start_matches('.').trim().to_string();
    let n = tidy.chars().count();
    let kept: String = if n > MAX_NAME_CHARS { tidy.chars().skip(n - MAX_NAME_CHARS).collect() } else { tidy };
    if kept.is_empty() { "evidence".to_string() } else { kept }
}

/// A size in words: "850 bytes", "12.3 KB", "4.5 MB".
pub fn size_in_words(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else if bytes == 1 {
        "1 byte".to_string()
    } else {
        format!("{bytes} bytes")
    }
}

/// A tiny valid PDF (one empty page), for demos and tests.
pub fn sample_pdf(title: &str) -> Vec<u8> {
    let title: String = title.chars().filter(|c| c.is_ascii_alphanumeric() || *c == ' ').collect();
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
         3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n4 0 obj << /Title ({title}) >> endobj\n\
         trailer << /Root 1 0 R /Info 4 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// A 1×1 PNG, for demos and tests.
pub const SAMPLE_PNG: [u8; 67] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63,
    0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
    0x82,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_content_not_the_name() {
        assert_eq!(FileType::detect(&sample_pdf("Visit notes")), Some(FileType::Pdf));
        assert_eq!(FileType::detect(&SAMPLE_PNG), Some(FileType::Png));
        assert_eq!(FileType::detect(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0]), Some(FileType::Jpeg));
        assert_eq!(FileType::detect(b"GIF89a\x01\x00\x01\x00"), Some(FileType::Gif));
        // Office documents are zips with the right parts inside; a zip of anything else is not.
        let zip_with = |first_part: &[u8]| {
            let mut z = b"PK\x03\x04".to_vec();
            z.resize(0x1E, 0);
            z.extend_from_slice(first_part);
            z.resize(200, 0);
            z
        };
        assert_eq!(FileType::detect(&zip_with(b"word/document.xml")), Some(FileType::Docx));
        assert_eq!(FileType::detect(&zip_with(b"xl/workbook.xml")), Some(FileType::Xlsx));
        assert_eq!(FileType::detect(&zip_with(b"notes.txt")), None);
        // Text, HTML and a script are refused whatever they are called.
        assert_eq!(FileType::detect(b"name,rating\nA,Good\n"), None);
        assert_eq!(FileType::detect(b"<html><script>alert(1)</script></html>"), None);
        assert_eq!(FileType::detect(b"MZ\x90\x00\x03\x00\x00\x00"), None);
        assert_eq!(FileType::detect(b""), None);
        for t in FileType::ALL {
            assert_eq!(FileType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("C:\\Users\\me\\Desktop\\plan.pdf"), "plan.pdf");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("a\"b;c\r\nd.pdf"), "a b c d.pdf");
        assert_eq!(safe_name("   "), "evidence");
        assert_eq!(safe_name(".hidden"), "hidden");
        let long = format!("{}.pdf", "x".repeat(300));
        let kept = safe_name(&long);
        assert_eq!(kept.chars().count(), MAX_NAME_CHARS);
        assert!(kept.ends_with(".pdf"));
    }

    #[test]
    fn sizes_in_words() {
        assert_eq!(size_in_words(1), "1 byte");
        assert_eq!(size_in_words(850), "850 bytes");
        assert_eq!(size_in_words(2048), "2.0 KB");
        assert_eq!(size_in_words(5 * 1024 * 1024 + 512 * 1024), "5.5 MB");
    }

    #[test]
    fn who_may_see_and_change_a_records_files() {
        let officer = Viewer { role: Role::QualityOfficer, provider_id: None };
        let viewer = Viewer { role: Role::Viewer, provider_id: None };
        let mine = Viewer { role: Role::Provider, provider_id: Some("p1") };
        for kind in [RecordKind::Action, RecordKind::Visit] {
            assert!(officer.may_see(kind, Some("p1")) && officer.may_add(kind, Some("p1")) && officer.may_remove(kind));
            assert!(!mine.may_remove(kind));
        }
        assert_eq!(viewer.may_see(RecordKind::Action, None), Role::Viewer.can(Permission::ViewQuality));
        assert!(!viewer.may_add(RecordKind::Action, None));
        // A provider: its own actions and claims, never another's, never visits.
        assert!(mine.may_see(RecordKind::Action, Some("p1")) && mine.may_add(RecordKind::Action, Some("p1")));
        assert!(!mine.may_see(RecordKind::Action, Some("p2")) && !mine.may_add(RecordKind::Action, Some("p2")));
        assert!(mine.may_see(RecordKind::Claim, Some("p1")) && !mine.may_see(RecordKind::Claim, None));
        assert!(!mine.may_see(RecordKind::Visit, Some("p1")));
        // A council role without the capability sees nothing.
        let councillor = Viewer { role: Role::Councillor, provider_id: None };
        assert_eq!(councillor.may_see(RecordKind::Claim, None), Role::Councillor.can(Permission::ViewOutcomes));
        for kind in RecordKind::ALL {
            assert_eq!(RecordKind::parse(kind.as_str()), Some(kind));
        }
    }
}
