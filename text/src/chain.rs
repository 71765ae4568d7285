//! The theme's fonts found among the system's, and the choice of a face for each grapheme
//! cluster of a text (itemisation): the families the theme names for the cluster's script, then
//! the preferred family, then the fallbacks in order, then any other system font; a cluster no
//! font has keeps the preferred face and is drawn as a box.
//!
//! The shaper's font database holds only the faces chosen here, so what it falls back to is
//! what this module decided, the same on every machine that has the theme's fonts, and a
//! character no font has costs a lookup in an index rather than a try of every system font.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use cosmic_text::fontdb::{self, Database, Source, Stretch, Style};
use cosmic_text::skrifa::{self, MetadataProvider};
use cosmic_text::{Attrs, AttrsList, Family, FontSystem};
use unicode_script::{Script, UnicodeScript};
use unicode_segmentation::UnicodeSegmentation;

use crate::cache::GenCache;
use crate::Weight;

/// A face the shaper draws with.
pub struct Face {
    pub family: String,
    pub weight: fontdb::Weight,
    pub stretch: Stretch,
    pub style: Style,
    /// A colour font (emoji): preferred for clusters asking for emoji presentation.
    pub colour: bool,
    font: Arc<cosmic_text::Font>,
}

impl Face {
    fn covers(&self, c: char) -> bool {
        ignorable(c) || self.font.as_swash().charmap().map(c) != 0
    }

    pub fn attrs(&self) -> Attrs<'_> {
        Attrs::new().family(Family::Name(&self.family)).weight(self.weight).stretch(self.stretch).style(self.style)
    }

    pub fn font(&self) -> &cosmic_text::Font {
        &self.font
    }
}

/// A family of the theme, as found: its faces for regular and bold text (the same face when
/// the family has one weight).
struct Entry {
    regular: usize,
    bold: usize,
}

impl Entry {
    fn face(&self, w: Weight) -> usize {
        match w {
            Weight::Regular => self.regular,
            Weight::Bold => self.bold,
        }
    }
}

/// Code points a system face maps, as sorted ranges, for the last resort.
struct Coverage {
    id: fontdb::ID,
    ranges: Vec<(u32, u32)>,
}

pub struct Chain {
    system: Database,
    faces: Vec<Face>,
    /// Arena index of each system face loaded into the shaper's database.
    loaded: HashMap<fontdb::ID, usize>,
    /// The preferred family then the fallbacks, as entries.
    general: Vec<Entry>,
    by_script: HashMap<Script, Vec<Entry>>,
    /// Families the theme names that the system does not have.
    pub missing: Vec<String>,
    /// Built at the first character no theme family has.
    coverage: Option<Vec<Coverage>>,
    last_resort: GenCache<char, Option<usize>>,
}

/// Characters that draw nothing of their own (joiners, variation selectors, bidi and other
/// format characters): any face may carry them.
fn ignorable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}')
        || matches!(c, '\u{e0000}'..='\u{e0fff}')
}

/// Whether a cluster asks for emoji presentation: a variation selector 16, or a character of
/// the emoji planes (pictographs, flags, skin tones).
fn wants_colour(cluster: &str) -> bool {
    cluster.chars().any(|c| c == '\u{fe0f}' || ('\u{1f000}'..='\u{1faff}').contains(&c))
}

fn script_of(cluster: &str) -> Option<Script> {
    cluster.chars().map(|c| c.script()).find(|s| !matches!(s, Script::Common | Script::Inherited | Script::Unknown))
}

/// The face of `family` nearest to `weight`, upright and of normal width where it has one.
fn find(db: &Database, family: &str, weight: u16) -> Option<fontdb::ID> {
    db.faces()
        .filter(|f| f.families.iter().any(|(n, _)| n.eq_ignore_ascii_case(family)))
        .min_by_key(|f| {
            let stretch = (f.stretch.to_number() as i32 - Stretch::Normal.to_number() as i32).unsigned_abs();
            (f.style != Style::Normal, stretch, f.weight.0.abs_diff(weight), f.weight.0, f.id)
        })
        .map(|f| f.id)
}

impl Chain {
    /// Finds the theme's families among the system's fonts and loads their faces into the
    /// shaper's database (`fs`, empty until then).
    pub fn new(font: &canopy_themes::theme::Font, system: Database, fs: &mut FontSystem) -> Chain {
        let mut chain = Chain {
            system,
            faces: Vec::new(),
            loaded: HashMap::new(),
            general: Vec::new(),
            by_script: HashMap::new(),
            missing: Vec::new(),
            coverage: None,
            last_resort: GenCache::new(4096),
        };
        for name in std::iter::once(&font.family).chain(&font.fallback) {
            match chain.entry(name, fs) {
                Some(e) => chain.general.push(e),
                None => chain.missing.push(name.clone()),
            }
        }
        for (script, names) in &font.scripts {
            let Some(s) = Script::from_full_name(script) else { continue };
            for name in names {
                match chain.entry(name, fs) {
                    Some(e) => chain.by_script.entry(s).or_default().push(e),
                    None => chain.missing.push(name.clone()),
                }
            }
        }
        if chain.general.is_empty() {
            // Not one named family: the first system family (by name, so every machine with
            // the same fonts picks the same) stands in for the preferred one.
            let mut names: Vec<&str> =
                chain.system.faces().filter_map(|f| f.families.first().map(|(n, _)| n.as_str())).collect();
            names.sort_unstable();
            if let Some(name) = names.first().map(|n| n.to_string()) {
                if let Some(e) = chain.entry(&name, fs) {
                    tracing::warn!("none of the theme's font families is installed; drawing text with {name}");
                    chain.general.push(e);
                }
            }
        }
        for name in &chain.missing {
            tracing::warn!("font family `{name}` named by the theme is not installed; its characters fall back");
        }
        chain
    }

    /// Whether any face was found: without one, text is drawn as boxes.
    pub fn is_empty(&self) -> bool {
        self.general.is_empty()
    }

    pub fn face(&self, i: usize) -> &Face {
        &self.faces[i]
    }

    /// The preferred face at `weight` (the chain is not empty).
    pub fn primary(&self, weight: Weight) -> usize {
        self.general[0].face(weight)
    }

    fn entry(&mut self, family: &str, fs: &mut FontSystem) -> Option<Entry> {
        let regular = find(&self.system, family, 400)?;
        let bold = find(&self.system, family, 700)?;
        Some(Entry { regular: self.load(regular, fs)?, bold: self.load(bold, fs)? })
    }

    /// Loads system face `id` into the shaper's database; its index in the arena.
    fn load(&mut self, id: fontdb::ID, fs: &mut FontSystem) -> Option<usize> {
        if let Some(&i) = self.loaded.get(&id) {
            return Some(i);
        }
        let info = self.system.face(id)?;
        let path: PathBuf = match &info.source {
            Source::File(p) | Source::SharedFile(p, _) => p.clone(),
            Source::Binary(_) => return None,
        };
        let index = info.index;
        let ids = fs.db_mut().load_font_source(Source::File(path));
        let new_id = ids.into_iter().find(|i| fs.db().face(*i).is_some_and(|f| f.index == index))?;
        let f = fs.db().face(new_id)?;
        let (family, weight, stretch, style) =
            (f.families.first().map(|(n, _)| n.clone())?, f.weight, f.stretch, f.style);
        let font = fs.get_font(new_id, weight)?;
        let colour =
            [b"CBDT", b"COLR", b"sbix"].iter().any(|t| font.as_swash().table(u32::from_be_bytes(**t)).is_some());
        self.faces.push(Face { family, weight, stretch, style, colour, font });
        self.loaded.insert(id, self.faces.len() - 1);
        Some(self.faces.len() - 1)
    }

    /// The face for one grapheme cluster of `script`.
    fn choose(&mut self, cluster: &str, script: Option<Script>, weight: Weight, fs: &mut FontSystem) -> usize {
        let colour = wants_colour(cluster);
        let by_script = script.and_then(|s| self.by_script.get(&s)).map(Vec::as_slice).unwrap_or(&[]);
        let candidates = by_script.iter().chain(&self.general).map(|e| e.face(weight));
        let covering = |i: &usize| cluster.chars().all(|c| self.faces[*i].covers(c));
        let found = if colour {
            let all: Vec<usize> = candidates.collect();
            all.iter().copied().find(|i| self.faces[*i].colour && covering(i)).or(all.into_iter().find(covering))
        } else {
            candidates.into_iter().find(covering)
        };
        found.or_else(|| self.last_resort(cluster, fs)).unwrap_or_else(|| self.primary(weight))
    }

    /// Any other system face that has every character of `cluster`.
    fn last_resort(&mut self, cluster: &str, fs: &mut FontSystem) -> Option<usize> {
        let key = cluster.chars().find(|c| !ignorable(*c))?;
        if let Some(hit) = self.last_resort.get(&key) {
            return hit;
        }
        let coverage = self.coverage.get_or_insert_with(|| index_system(&self.system));
        let wanted: Vec<u32> = cluster.chars().filter(|c| !ignorable(*c)).map(u32::from).collect();
        let id = coverage.iter().find(|f| wanted.iter().all(|c| has(&f.ranges, *c))).map(|f| f.id);
        let hit = id.and_then(|id| self.load(id, fs));
        self.last_resort.insert(key, hit, 1);
        hit
    }

    /// Splits `text` into runs each drawn with one face, and the shaper's attributes for them.
    pub fn itemise(&mut self, text: &str, weight: Weight, fs: &mut FontSystem) -> AttrsList {
        let clusters: Vec<(usize, &str)> = text.grapheme_indices(true).collect();
        // Characters of no script of their own (spaces, digits, punctuation, marks) take the
        // script around them, so a run keeps one face.
        let mut scripts: Vec<Option<Script>> = clusters.iter().map(|(_, c)| script_of(c)).collect();
        let mut last = None;
        for s in scripts.iter_mut() {
            last = s.or(last);
            *s = last;
        }
        let mut next = None;
        for s in scripts.iter_mut().rev() {
            next = s.or(next);
            *s = next;
        }
        let mut faces: Vec<usize> =
            clusters.iter().zip(&scripts).map(|((_, c), s)| self.choose(c, *s, weight, fs)).collect();
        self.one_face_per_rtl_word(&clusters, &scripts, &mut faces, weight);
        let mut runs: Vec<(Range<usize>, usize)> = Vec::new();
        for ((start, cluster), face) in clusters.iter().zip(faces) {
            let end = start + cluster.len();
            match runs.last_mut() {
                Some((r, f)) if *f == face => r.end = end,
                _ => runs.push((*start..end, face)),
            }
        }
        let primary = self.primary(weight);
        let mut list = AttrsList::new(&self.faces[primary].attrs());
        for (range, face) in runs {
            if face != primary {
                list.add_span(range, &self.faces[face].attrs());
            }
        }
        list
    }
}

impl Chain {
    /// Draws each right-to-left word that would mix faces in the first face that has all of
    /// it, where one does: the shaper places the face runs of one word in logical order, which
    /// for a right-to-left word is the wrong visual order (an Arabic word ending in `…`).
    fn one_face_per_rtl_word(
        &self,
        clusters: &[(usize, &str)],
        scripts: &[Option<Script>],
        faces: &mut [usize],
        weight: Weight,
    ) {
        let mut start = 0;
        while start < clusters.len() {
            let end = (start..clusters.len()).find(|i| clusters[*i].1.trim().is_empty()).unwrap_or(clusters.len());
            let word = &clusters[start..end];
            let rtl = word.iter().flat_map(|(_, c)| c.chars()).any(|c| {
                matches!(unicode_bidi::bidi_class(c), unicode_bidi::BidiClass::R | unicode_bidi::BidiClass::AL)
            });
            if rtl && faces[start..end].iter().any(|f| *f != faces[start]) {
                let by_script = scripts[start].and_then(|s| self.by_script.get(&s)).map(Vec::as_slice).unwrap_or(&[]);
                let all = by_script
                    .iter()
                    .chain(&self.general)
                    .map(|e| e.face(weight))
                    .find(|f| word.iter().all(|(_, c)| c.chars().all(|ch| self.faces[*f].covers(ch))));
                if let Some(f) = all {
                    faces[start..end].fill(f);
                }
            }
            start = end + 1;
        }
    }
}

fn has(ranges: &[(u32, u32)], c: u32) -> bool {
    let i = ranges.partition_point(|(_, hi)| *hi < c);
    ranges.get(i).is_some_and(|(lo, _)| *lo <= c)
}

/// What every upright system face maps, one face per family (the one nearest regular), in
/// family-name order so that every machine with the same fonts makes the same choice.
fn index_system(db: &Database) -> Vec<Coverage> {
    let mut families: Vec<&str> = db.faces().filter_map(|f| f.families.first().map(|(n, _)| n.as_str())).collect();
    families.sort_unstable();
    families.dedup();
    let mut out = Vec::new();
    for family in families {
        let Some(id) = find(db, family, 400) else { continue };
        let ranges = db
            .with_face_data(id, |data, index| {
                let font = skrifa::FontRef::from_index(data, index).ok()?;
                let mut points: Vec<u32> = font.charmap().mappings().map(|(c, _)| c).collect();
                points.sort_unstable();
                let mut ranges: Vec<(u32, u32)> = Vec::new();
                for c in points {
                    match ranges.last_mut() {
                        Some((_, hi)) if *hi + 1 >= c => *hi = c,
                        _ => ranges.push((c, c)),
                    }
                }
                Some(ranges)
            })
            .flatten()
            .unwrap_or_default();
        out.push(Coverage { id, ranges });
    }
    out
}
