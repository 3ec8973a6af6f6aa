-- koji-rs: seed rows, identical to the rows Koji 1.36's schema.sql inserts
-- into a fresh database.
--
-- Ids are written out explicitly.  On a fresh Koji install they come out of
-- the SERIAL sequences in insertion order; the values below are exactly those,
-- and each sequence is then moved past them so later inserts continue where a
-- Koji-made database would.  (Databases that reached 1.36 through Koji's
-- upgrade scripts may number permissions and archive types differently, so
-- hub code must look these rows up by name, never by a hard-coded id, with
-- the two exceptions Koji itself relies on: volume 0 and external_repo 0.)


-- ---------------------------------------------------------------------------
-- Permissions (getAllPerms() returns them ordered by id)
-- ---------------------------------------------------------------------------
INSERT INTO permissions (id, name, description) VALUES
    ( 1, 'admin',          'Full administrator access. Perform all actions.'),
    ( 2, 'appliance',      'Create appliance builds - deprecated.'),
    ( 3, 'dist-repo',      'Create a dist-repo.'),
    ( 4, 'host',           'Add, remove, enable, disable hosts and channels.'),
    ( 5, 'image',          'Start image tasks.'),
    ( 6, 'image-import',   'Import image archives.'),
    ( 7, 'livecd',         'Start livecd tasks.'),
    ( 8, 'maven-import',   'Import maven archives.'),
    ( 9, 'repo',           'Manage repos: newRepo, repoExpire, repoDelete, repoProblem.'),
    (10, 'sign',           'Import RPM signatures and write signed RPMs.'),
    (11, 'tag',            'Manage packages in tags: add, block, remove, and clone tags.'),
    (12, 'target',         'Add, edit, and remove targets.'),
    (13, 'win-admin',      'The default hub policy rule for "vm" requires this permission to trigger Windows builds.'),
    (14, 'win-import',     'Import win archives.'),
    (15, 'draft-promoter', 'The permission required in the default "draft_promotion" hub policy rule to promote draft build.');
SELECT setval('permissions_id_seq', (SELECT max(id) FROM permissions));


-- ---------------------------------------------------------------------------
-- Channels (new hosts are subscribed to 'default'; newRepo/createrepo tasks
-- go to 'createrepo').  description/comment are NULL and enabled is TRUE.
-- ---------------------------------------------------------------------------
INSERT INTO channels (id, name) VALUES
    (1, 'default'),
    (2, 'createrepo'),
    (3, 'maven'),
    (4, 'livecd'),
    (5, 'appliance'),
    (6, 'vm'),
    (7, 'image'),
    (8, 'livemedia');
SELECT setval('channels_id_seq', (SELECT max(id) FROM channels));


-- ---------------------------------------------------------------------------
-- Storage volume 0 = <topdir> itself.  Inserted with an explicit id, leaving
-- volume_id_seq untouched (the first added volume gets id 1), as in Koji.
-- ---------------------------------------------------------------------------
INSERT INTO volume (id, name) VALUES (0, 'DEFAULT');


-- ---------------------------------------------------------------------------
-- Legacy build types
-- ---------------------------------------------------------------------------
INSERT INTO btype (id, name) VALUES
    (1, 'rpm'),
    (2, 'maven'),
    (3, 'win'),
    (4, 'image');
SELECT setval('btype_id_seq', (SELECT max(id) FROM btype));


-- ---------------------------------------------------------------------------
-- External repo 0 = 'INTERNAL': the external_repo_id of every locally built
-- rpm.  Explicit id; external_repo_id_seq untouched, as in Koji.
-- ---------------------------------------------------------------------------
INSERT INTO external_repo (id, name) VALUES (0, 'INTERNAL');


-- ---------------------------------------------------------------------------
-- Archive types (the 1.36 list: 1.36 added erofs*, squashfs*; 'wsl' is 1.37)
-- ---------------------------------------------------------------------------
INSERT INTO archivetypes (id, name, description, extensions, compression_type) VALUES
    ( 1, 'jar', 'Jar file', 'jar war rar ear sar jdocbook jdocbook-style', 'zip'),
    ( 2, 'zip', 'Zip file', 'zip', 'zip'),
    ( 3, 'pom', 'Maven Project Object Management file', 'pom', NULL),
    ( 4, 'tar', 'Tar file', 'tar tar.gz tar.bz2 tar.xz tgz', 'tar'),
    ( 5, 'xml', 'XML file', 'xml', NULL),
    ( 6, 'xmlcompressed', 'Compressed XML file', 'xml.gz xml.bz2 xml.xz', NULL),
    ( 7, 'xsd', 'XML Schema Definition', 'xsd', NULL),
    ( 8, 'spec', 'RPM spec file', 'spec', NULL),
    ( 9, 'exe', 'Windows executable', 'exe', NULL),
    (10, 'dll', 'Windows dynamic link library', 'dll', NULL),
    (11, 'lib', 'Windows import library', 'lib', NULL),
    (12, 'sys', 'Windows device driver', 'sys', NULL),
    (13, 'inf', 'Windows driver information file', 'inf', NULL),
    (14, 'cat', 'Windows catalog file', 'cat', NULL),
    (15, 'msi', 'Windows Installer package', 'msi', NULL),
    (16, 'pdb', 'Windows debug information', 'pdb', NULL),
    (17, 'oem', 'Windows driver oem file', 'oem', NULL),
    (18, 'iso', 'CD/DVD Image', 'iso', NULL),
    (19, 'raw', 'Raw disk image', 'raw', NULL),
    (20, 'qcow', 'QCOW image', 'qcow', NULL),
    (21, 'qcow2', 'QCOW2 image', 'qcow2', NULL),
    (22, 'vmdk', 'vSphere image', 'vmdk', NULL),
    (23, 'ova', 'Open Virtualization Archive', 'ova', NULL),
    (24, 'ks', 'Kickstart', 'ks', NULL),
    (25, 'cfg', 'Configuration file', 'cfg', NULL),
    (26, 'vdi', 'VirtualBox Virtual Disk Image', 'vdi', NULL),
    (27, 'aar', 'Binary distribution of an Android Library project', 'aar', NULL),
    (28, 'apklib', 'Source distribution of an Android Library project', 'apklib', NULL),
    (29, 'cab', 'Windows cabinet file', 'cab', NULL),
    (30, 'dylib', 'OS X dynamic library', 'dylib', NULL),
    (31, 'gem', 'Ruby gem', 'gem', NULL),
    (32, 'ini', 'INI config file', 'ini', NULL),
    (33, 'js', 'Javascript file', 'js', NULL),
    (34, 'ldif', 'LDAP Data Interchange Format file', 'ldif', NULL),
    (35, 'manifest', 'Runtime environment for .NET applications', 'manifest', NULL),
    (36, 'msm', 'Windows merge module', 'msm', NULL),
    (37, 'properties', 'Properties file', 'properties', NULL),
    (38, 'sig', 'Signature file', 'sig signature', NULL),
    (39, 'so', 'Shared library', 'so', NULL),
    (40, 'txt', 'Text file', 'txt', NULL),
    (41, 'vhd', 'Hyper-V image', 'vhd', NULL),
    (42, 'vhdx', 'Hyper-V Virtual Hard Disk v2 image', 'vhdx', NULL),
    (43, 'wsf', 'Windows script file', 'wsf', NULL),
    (44, 'box', 'Vagrant Box Image', 'box', NULL),
    (45, 'raw-xz', 'xz compressed raw disk image', 'raw.xz', NULL),
    (46, 'json', 'JSON data', 'json', NULL),
    (47, 'key', 'Key file', 'key', NULL),
    (48, 'dot', 'DOT graph description', 'dot gv', NULL),
    (49, 'groovy', 'Groovy script file', 'groovy gvy', NULL),
    (50, 'batch', 'Batch file', 'bat', NULL),
    (51, 'shell', 'Shell script', 'sh', NULL),
    (52, 'rc', 'Resource file', 'rc', NULL),
    (53, 'wsdl', 'Web Services Description Language', 'wsdl', NULL),
    (54, 'obr', 'OSGi Bundle Repository', 'obr', NULL),
    (55, 'liveimg-squashfs', 'liveimg compatible squashfs image', 'liveimg.squashfs', NULL),
    (56, 'tlb', 'OLE type library file', 'tlb', NULL),
    (57, 'jnilib', 'Java Native Interface library', 'jnilib', NULL),
    (58, 'yaml', 'YAML Ain''t Markup Language', 'yaml yml', NULL),
    (59, 'xjb', 'JAXB(Java Architecture for XML Binding) Binding Customization File', 'xjb', NULL),
    (60, 'raw-gz', 'GZIP compressed raw disk image', 'raw.gz', NULL),
    (61, 'qcow2-compressed', 'Compressed QCOW2 image', 'qcow2.gz qcow2.xz', NULL),
    (62, 'iso-compressed', 'Compressed iso image', 'iso.gz iso.xz', NULL),
    (63, 'vhd-compressed', 'Compressed VHD image', 'vhd.gz vhd.xz', NULL),
    (64, 'vhdx-compressed', 'Compressed VHDx image', 'vhdx.gz vhdx.xz', NULL),
    (65, 'vmdk-compressed', 'Compressed VMDK image', 'vmdk.gz vmdk.xz', NULL),
    (66, 'kernel-image', 'Kernel BZ2 Image', 'vmlinuz vmlinuz.gz vmlinuz.xz', NULL),
    (67, 'initramfs', 'Compressed Initramfs Image', 'img', NULL),
    (68, 'checksum', 'Checksum file', 'sha256', NULL),
    (69, 'changes', 'Kiwi changes file', 'changes.xz changes', NULL),
    (70, 'packages', 'Kiwi packages listing', 'packages', NULL),
    (71, 'verified', 'Kiwi verified package list', 'verified', NULL),
    (72, 'erofs', 'erofs image', 'erofs', NULL),
    (73, 'erofs-compressed', 'Compressed erofs image', 'erofs.gz erofs.xz', NULL),
    (74, 'squashfs', 'SquashFS image', 'squashfs', NULL),
    (75, 'squashfs-compressed', 'Compressed SquashFS image', 'squashfs.gz squashfs.xz', NULL);
SELECT setval('archivetypes_id_seq', (SELECT max(id) FROM archivetypes));


-- ---------------------------------------------------------------------------
-- Named locks (see the locks table in 0001_core.sql)
-- ---------------------------------------------------------------------------
INSERT INTO locks (name) VALUES
    ('protonmsg-plugin'),
    ('scheduler'),
    ('repo-queue');


-- Koji seeds no users, content generators, tags or targets; the first admin
-- is created by the installer.
