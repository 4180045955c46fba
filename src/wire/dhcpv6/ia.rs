//! The IA options' bodies (IA_NA, IA_TA, IA_PD) and what they carry (IA
//! Address, IA Prefix, Status Code): typed views over received bytes and
//! the writers of their fixed parts.

use super::{be128, be32, field, option_code, Options, StatusCode, WireError};

/// Which IA option a body belongs to (their fixed parts differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IaOption {
    Na,
    Ta,
    Pd,
}

impl IaOption {
    pub fn code(self) -> u16 {
        match self {
            IaOption::Na => option_code::IA_NA,
            IaOption::Ta => option_code::IA_TA,
            IaOption::Pd => option_code::IA_PD,
        }
    }

    fn options_at(self) -> usize {
        match self {
            IaOption::Ta => field::IA_TA_OPTIONS,
            IaOption::Na | IaOption::Pd => field::IA_OPTIONS,
        }
    }
}

/// The body of an IA_NA, IA_TA or IA_PD option.
#[derive(Debug, Clone, Copy)]
pub struct Ia<'a> {
    buf: &'a [u8],
    kind: IaOption,
}

impl<'a> Ia<'a> {
    /// Checks the fixed part's length and every nested option's.
    pub fn parse(kind: IaOption, buf: &'a [u8]) -> Result<Self, WireError> {
        let at = kind.options_at();
        if buf.len() < at {
            return Err(WireError::BadLength);
        }
        Options::checked(&buf[at..])?;
        Ok(Ia { buf, kind })
    }

    pub fn iaid(&self) -> u32 {
        be32(&self.buf[field::IA_IAID])
    }

    pub fn options(&self) -> Options<'a> {
        Options::unchecked(&self.buf[self.kind.options_at()..])
    }

    /// The fixed part of an IA_NA or IA_PD body (an IA_TA's is the IAID).
    pub fn header(iaid: u32, t1: u32, t2: u32) -> [u8; field::IA_OPTIONS] {
        let mut h = [0u8; field::IA_OPTIONS];
        h[field::IA_IAID].copy_from_slice(&iaid.to_be_bytes());
        h[field::IA_T1].copy_from_slice(&t1.to_be_bytes());
        h[field::IA_T2].copy_from_slice(&t2.to_be_bytes());
        h
    }
}

/// The body of an IA Address option.
#[derive(Debug, Clone, Copy)]
pub struct IaAddress<'a> {
    buf: &'a [u8],
}

impl<'a> IaAddress<'a> {
    pub fn parse(buf: &'a [u8]) -> Result<Self, WireError> {
        if buf.len() < field::ADDR_OPTIONS {
            return Err(WireError::BadLength);
        }
        Options::checked(&buf[field::ADDR_OPTIONS..])?;
        Ok(IaAddress { buf })
    }

    pub fn address(&self) -> u128 {
        be128(&self.buf[field::ADDR_ADDRESS])
    }

    /// The fixed part (no nested options).
    pub fn body(address: u128, preferred: u32, valid: u32) -> [u8; field::ADDR_OPTIONS] {
        let mut b = [0u8; field::ADDR_OPTIONS];
        b[field::ADDR_ADDRESS].copy_from_slice(&address.to_be_bytes());
        b[field::ADDR_PREFERRED].copy_from_slice(&preferred.to_be_bytes());
        b[field::ADDR_VALID].copy_from_slice(&valid.to_be_bytes());
        b
    }
}

/// The body of an IA Prefix option.
#[derive(Debug, Clone, Copy)]
pub struct IaPrefix<'a> {
    buf: &'a [u8],
}

impl<'a> IaPrefix<'a> {
    /// Also refuses a prefix length over 128.
    pub fn parse(buf: &'a [u8]) -> Result<Self, WireError> {
        if buf.len() < field::PREFIX_OPTIONS || buf[field::PREFIX_LEN] > 128 {
            return Err(WireError::BadLength);
        }
        Options::checked(&buf[field::PREFIX_OPTIONS..])?;
        Ok(IaPrefix { buf })
    }

    pub fn prefix(&self) -> u128 {
        be128(&self.buf[field::PREFIX_PREFIX])
    }

    pub fn prefix_len(&self) -> u8 {
        self.buf[field::PREFIX_LEN]
    }

    /// The fixed part (no nested options).
    pub fn body(prefix: u128, len: u8, preferred: u32, valid: u32) -> [u8; field::PREFIX_OPTIONS] {
        let mut b = [0u8; field::PREFIX_OPTIONS];
        b[field::PREFIX_PREFERRED].copy_from_slice(&preferred.to_be_bytes());
        b[field::PREFIX_VALID].copy_from_slice(&valid.to_be_bytes());
        b[field::PREFIX_LEN] = len;
        b[field::PREFIX_PREFIX].copy_from_slice(&prefix.to_be_bytes());
        b
    }
}

/// A Status Code option body: the code and its message (at most 62
/// octets of it).
pub fn status_body(code: StatusCode) -> arrayvec::ArrayVec<u8, 64> {
    let mut body = arrayvec::ArrayVec::new();
    let mut head = [0u8; field::STATUS_MESSAGE];
    head[field::STATUS_CODE].copy_from_slice(&(code as u16).to_be_bytes());
    body.extend(head);
    let text = code.message().as_bytes();
    let room = body.capacity() - field::STATUS_MESSAGE;
    let _ = body.try_extend_from_slice(&text[..text.len().min(room)]);
    body
}
