//! Lenient serde building blocks for the JSON readers: real SBOMs write numbers as
//! strings and strings as numbers, `null` where a list belongs, and one object where a
//! list belongs. These types accept all of that without building a DOM.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A text value written as a string, number or boolean; anything else reads as absent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Text(pub(crate) Option<String>);

impl Text {
    /// The value, trimmed, if not empty.
    pub(crate) fn get(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    pub(crate) fn owned(&self) -> Option<String> {
        self.get().map(str::to_owned)
    }

    /// The value, trimmed, if not empty, without copying it when it needs no trimming.
    pub(crate) fn take(self) -> Option<String> {
        let s = self.0?;
        let t = s.trim();
        if t.is_empty() {
            None
        } else if t.len() == s.len() {
            Some(s)
        } else {
            Some(t.to_owned())
        }
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text, D::Error> {
                Text::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A list that may be absent, `null`, a single element, or a list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Seq<T>(pub(crate) Vec<T>);

impl<T> Default for Seq<T> {
    fn default() -> Self {
        Seq(Vec::new())
    }
}

impl<T> Seq<T> {
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

impl<T> IntoIterator for Seq<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Streams a list that may be absent, `null`, a single element or a list, handing each
/// element to `each` as it is read (the list is never held in memory).
pub(crate) struct Each<F, T> {
    pub(crate) each: F,
    pub(crate) marker: PhantomData<T>,
}

impl<F, T> Each<F, T> {
    pub(crate) fn new(each: F) -> Self {
        Each {
            each,
            marker: PhantomData,
        }
    }
}

impl<'de, T: Deserialize<'de>, F: FnMut(T)> de::DeserializeSeed<'de> for Each<F, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Deserialize<'de>, F: FnMut(T)> Visitor<'de> for Each<F, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element()? {
            (self.each)(item);
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<(), A::Error> {
        (self.each)(T::deserialize(de::value::MapAccessDeserializer::new(map))?);
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Seq<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Seq<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seq<T>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(item) = seq.next_element()? {
                    out.push(item);
                }
                Ok(Seq(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Seq<T>, A::Error> {
                Ok(Seq(vec![T::deserialize(
                    de::value::MapAccessDeserializer::new(map),
                )?]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Seq<T>, E> {
                Ok(Seq(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<Seq<T>, E> {
                Ok(Seq(Vec::new()))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Seq<T>, D::Error> {
                Seq::deserialize(d)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Seq<T>, E> {
                Ok(Seq(Vec::new()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Seq<T>, E> {
                Ok(Seq(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Seq<T>, E> {
                Ok(Seq(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Seq<T>, E> {
                Ok(Seq(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Seq<T>, E> {
                Ok(Seq(Vec::new()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// An object that may be absent, `null`, or something else entirely (read as absent).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Obj<T>(pub(crate) Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
                Ok(Obj(Some(T::deserialize(
                    de::value::MapAccessDeserializer::new(map),
                )?)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Obj<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Obj(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Obj<T>, E> {
                Ok(Obj(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Obj<T>, E> {
                Ok(Obj(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Obj<T>, D::Error> {
                Obj::deserialize(d)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Obj<T>, E> {
                Ok(Obj(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Obj<T>, E> {
                Ok(Obj(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Obj<T>, E> {
                Ok(Obj(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Obj<T>, E> {
                Ok(Obj(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Obj<T>, E> {
                Ok(Obj(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A text value for YAML: plain scalars are read as their source text (`2.10` stays
/// `2.10`, not the float 2.1).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct YText(pub(crate) Option<String>);

impl<'de> Deserialize<'de> for YText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<String>::deserialize(d).map(YText)
    }
}

/// What the SPDX structs need of a text field, whichever serialization it came from.
pub(crate) trait TextField: Default {
    fn raw(&self) -> Option<&str>;

    /// The value, trimmed, if not empty.
    fn get(&self) -> Option<&str> {
        self.raw().map(str::trim).filter(|s| !s.is_empty())
    }

    fn owned(&self) -> Option<String> {
        self.get().map(str::to_owned)
    }
}

impl TextField for Text {
    fn raw(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl TextField for YText {
    fn raw(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// How many values a field holds, whatever they are: the length of a list, nothing for
/// `null` or empty text, else one. For fields read only to say that they are not kept.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Count(pub(crate) usize);

impl Count {
    /// Adds the count under `field` to the counts of what the model does not keep
    /// (`Sbom::not_kept`), when there is anything to count.
    pub(crate) fn add_to(
        self,
        into: &mut std::collections::BTreeMap<&'static str, usize>,
        field: &'static str,
    ) {
        if self.0 > 0 {
            *into.entry(field).or_default() += self.0;
        }
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Count, A::Error> {
                let mut n = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(Count(n))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Count, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Count(1))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Count, E> {
                let v = v.trim();
                Ok(Count(usize::from(
                    !v.is_empty() && !v.eq_ignore_ascii_case("NOASSERTION"),
                )))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Count, E> {
                Ok(Count(0))
            }
            fn visit_none<E: de::Error>(self) -> Result<Count, E> {
                Ok(Count(0))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Count, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Count, E> {
                Ok(Count(1))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Count, E> {
                Ok(Count(1))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Count, E> {
                Ok(Count(1))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Count, E> {
                Ok(Count(1))
            }
        }
        d.deserialize_any(V)
    }
}
