pub mod packer;
