//! A minimal element tree of an awsQuery response body, for reading what the SDK does not
//! surface (`<Type>`, `<RequestId>`) and for checking which members the body really had.
//! quick-xml does the parsing; this only keeps element names, children and text.

use quick_xml::events::Event;
use quick_xml::Reader;

#[derive(Debug, Default)]
pub(crate) struct Node {
    pub name: String,
    pub children: Vec<Node>,
    pub text: String,
}

impl Node {
    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// First element named `name` anywhere below (depth first).
    pub(crate) fn find(&self, name: &str) -> Option<&Node> {
        self.children.iter().find_map(|c| {
            if c.name == name {
                Some(c)
            } else {
                c.find(name)
            }
        })
    }
}

/// The root element, or None when the body is not well-formed XML.
pub(crate) fn parse(body: &[u8]) -> Option<Node> {
    let mut reader = Reader::from_reader(body);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) => stack.push(Node {
                name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                ..Node::default()
            }),
            Event::Empty(e) => {
                let node = Node {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Node::default()
                };
                stack.last_mut()?.children.push(node);
            }
            Event::Text(t) => {
                let text = t.unescape().ok()?;
                stack.last_mut()?.text.push_str(&text);
            }
            Event::CData(t) => {
                stack
                    .last_mut()?
                    .text
                    .push_str(&String::from_utf8_lossy(&t));
            }
            Event::End(_) => {
                let node = stack.pop()?;
                stack.last_mut()?.children.push(node);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let mut top = stack.pop()?;
    if !stack.is_empty() {
        return None;
    }
    top.children.pop().filter(|_| top.children.is_empty())
}
