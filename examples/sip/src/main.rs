mod g722;
fn main() {}
