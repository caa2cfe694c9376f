-- Fast client reads under row-level security: typo search through the trigram index, KPI
-- counters kept in the writing transaction, and indexes for the list filters and KPI ranges.

-- Search, part 1: a trigram index whose keys are per tenant group. With one shared trigram
-- space, the posting list of a common trigram ("ion", "cio" in Spanish company names) holds
-- rows of every tenant, and a search walks all of them whatever the tenant's size. Before
-- indexing, each tenant's text goes through a fixed permutation of letters and digits chosen
-- by the tenant id (64 groups): trigram matching compares characters for equality, so word
-- similarity and substring tests give exactly the same answers on permuted text, while the same
-- trigram lands on a different key in each group and every posting list shrinks about 64-fold.
-- Not a secret: it only spreads the keys.
CREATE FUNCTION search_group(p_tenant uuid) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT get_byte(uuid_send(p_tenant), 15) % 64 $$;

CREATE FUNCTION search_scramble(p_text text, p_tenant uuid) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT translate(p_text, 'abcdefghijklmnopqrstuvwxyz0123456789', (ARRAY[
        '4e7igh3zrn50kl1s98xwbotjdy6vfmqcp2ua', 'f4a5qyzcl9kix6spjv71tg0nhe3wdom28bur',
        'zu2gpf57x3ajrm9ov1thcwn06qiydk4el8bs', 'il9f3c4jqeov6nmxdry50w7zt2skb8hp1agu',
        'di9elh7wb2uazjfo4sp68vrnx5t0qg1ky3mc', '3nbcowju9g765ax8pet1h4svliyqmrf0k2zd',
        'yo4zgn76xkflhs1a05qmcjvpitewr2d839bu', 'ajx9lqu45rf1nbozksh2c8g3twpd67vye0mi',
        '5oi8wzpy3j210x7hagt4kbcsd9uenlqvrfm6', 's1zi38ycrt6xja0pemh5oku7n29l4bqfvgwd',
        'wvrc93g87tkbyeadxln1jom5fh62z0up4isq', 'b8ipd2jrhny1qs7cg30wfm6av9keou4l5tzx',
        's57e2karxwp3nmyzdf49o0g8qvjbiulcht61', '7ye6o0hdtbkwn4ac2x1vs5lmup9gr3fqiz8j',
        'zqwtciv640xh8ga352f7eu1rspojnyklm9bd', '8k0dp2tcnj1folh4vybqs57u69zeiagmxrw3',
        'ke9jof76ym0sa2uhb4pl5z8i13gncvxdrwqt', '5ls69pnwgxkfqe23o10a8tyd7irmczbhju4v',
        'rau0oz618pb9wl7ecy3fs5vdjixqkngh2mt4', '0ythclwasjzf5buqo279p4n6x8vg3ekrm1id',
        'xmvwyc9q40kjd8t5gan73reshp1zui62fobl', 'z17san3khm6tr2de5q48p9iojucyxgwvfl0b',
        '1ydbe2swoark67ixu9qctjgv5p0m8znlhf34', 'j5pl9wbycu4dn1shzg3voifx26k8a0rtq7me',
        'dl4bi780z2m1jw6napxufhkeoq95t3csvyrg', 'gs5barzwv8i741dt29p0o6kx3hmjlfqnuyce',
        'h89fd6vxzjilpytb7n2g1muor053ws4akcqe', 'w56a9gfq7syhn8vxtl40rbjeuzpo3i2cm1dk',
        '3ym6gv8l7htf9bczaerpn01kui54ds2qxwoj', 'tqw1x0rlzj5fms7e9dnypgkhbo2vi83u64ca',
        'tzqbxwn8cajdk17e2hyvmsuo6p0l4i5g39rf', 'ujblxysze93wnifqrhakt824mgd5c6o017pv',
        'wop82s7b1iyr50qal3unxzt96fkgjvec4hmd', 'm1kb0a7d5cgwqzrisu9j3yvxolep26hf84nt',
        'uj4hx9zeqd7t3l8c2r1n0yoaswpfgikvm65b', 'mfdau7lpe630knojt9v1si85crq4hx2ybgzw',
        '0r8iatxo2mvycfjpe4k9wgqu7nhlzs56db13', 'w51t7eyqui93bv0pn2okajmzhgx4frs6cl8d',
        'tlvezk3crg84mhon92fpwdjsua5bq0yx716i', 'ch7z0lpu6di4m5oqka3b8grs9vtx21jefnwy',
        '4wr72gpuzxs80kyhn9caq6oiltfej1d5b3mv', 'lcm905pweiuxvkgos1a8b7t62dzyfr3nhqj4',
        'vlfp4e9ng7zbqxcotwdmu3i0hyrj5ks126a8', 'mbp7jisk9dcqf20365oyunlax4g1erzvt8wh',
        'h5auljxk9mqg7bd218sr3wyni6cpetfoz40v', '10mij98lbo7q46tecpxwauksvnghyr2f3z5d',
        'cbzdgs402yao78lhien35r1u6jmvfw9tpxqk', 'j251cg6emra7bzlsvq39uinpdyt8hfx0k4ow',
        '2ntg84sky6v3qiueh1lxrd9cz7p5mjfb0owa', 'rsi4fw1bqpgnuojl0c9v5a27zeyh36dktm8x',
        't7bq34dnhwazg9p6vureoxj2k08cy51fislm', 'vaxwl6ytnzr0ijk91h4ec3q8dsop2gmb5u7f',
        '4qynxi2zv9phbalokmc37fws0t5rjde6g1u8', 'vl5ayp6tsghj8wnuoc19xf20zr3q47ekidmb',
        'vrst8ypo1uenxcimbgl46za9q0f37jkw52hd', '1ycihg9kbd8r4qslo5tpjavn7e0u3z62wfmx',
        'zkomv3dl9swp50ytiaj8bu7ne4c61xf2hrqg', '4hutnv50mldp36jcf7ezkrgaowi2yb19qxs8',
        'tc65g2kdjnwob9zqsi1up8h37m0xfryelva4', 'uifymg3bdqc4p5ns0t79orzhw26ak8x1jelv',
        '58zhcu6jqaydsiolemvrgfk27w01pbn49x3t', 'gkze9xh4botyafqdvpj13m2swi56rl0nc7u8',
        '7rw61isy0h4v2gxfbuopktcjelzq38and5m9', 'mg1wdvjlz5sfehq3yu69c7kt24prixb0n8oa'
    ])[search_group(p_tenant) + 1]) $$;

DROP INDEX clients_search;
CREATE INDEX clients_search ON clients
    USING gin (tenant_id, search_scramble(search_text, tenant_id) gin_trgm_ops)
    WHERE deleted_at IS NULL;

-- Search, part 2. Postgres will not use an operator that is not LEAKPROOF (`<%`, `LIKE`) as an
-- index condition ahead of a row-level security policy, so under the policy the trigram index
-- is useless and every search reads the whole tenant. `client_search_ids` runs as `crm_search`,
-- a NOLOGIN role that may read only the searchable columns of every tenant and is scoped here,
-- explicitly, to the caller's tenant (`current_tenant_id()`, NULL when unset, matches nothing).
DO $$
BEGIN
    CREATE ROLE crm_search NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
GRANT USAGE ON SCHEMA public TO crm_search;
GRANT SELECT (tenant_id, id, search_text, tax_id_hash, emails, deleted_at) ON clients TO crm_search;
CREATE POLICY search_reader ON clients FOR SELECT TO crm_search USING (true);

-- Ids of the caller's live clients whose search text is like `p_text` (word similarity or
-- substring) or whose tax id has the keyed hash `p_tax_hash`.
CREATE FUNCTION client_search_ids(p_text text, p_tax_hash bytea)
    RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    ROWS 50
    AS $$
        SELECT id FROM clients
         WHERE tenant_id = current_tenant_id() AND deleted_at IS NULL
           AND (search_scramble(p_text, current_tenant_id()) <% search_scramble(search_text, tenant_id)
                OR search_scramble(search_text, tenant_id)
                   LIKE '%' || search_scramble(p_text, current_tenant_id()) || '%')
        UNION
        SELECT id FROM clients
         WHERE tenant_id = current_tenant_id() AND deleted_at IS NULL
           AND p_tax_hash IS NOT NULL AND tax_id_hash = p_tax_hash
    $$;
ALTER FUNCTION client_search_ids(text, bytea) OWNER TO crm_search;
REVOKE ALL ON FUNCTION client_search_ids(text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION client_search_ids(text, bytea) TO crm_app;

-- Ids of the caller's live clients sharing an e-mail with `p_emails` (`&&` is not LEAKPROOF
-- either, so without this an import's duplicate check read the whole tenant for every row).
CREATE FUNCTION client_ids_by_email(p_emails text[])
    RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    ROWS 1
    AS $$
        SELECT id FROM clients
         WHERE tenant_id = current_tenant_id() AND deleted_at IS NULL AND emails && p_emails
    $$;
ALTER FUNCTION client_ids_by_email(text[]) OWNER TO crm_search;
REVOKE ALL ON FUNCTION client_ids_by_email(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION client_ids_by_email(text[]) TO crm_app;

-- List filters and KPI ranges; every predicate on them is a LEAKPROOF comparison.
CREATE INDEX clients_sector ON clients (tenant_id, sector, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX clients_name ON clients (tenant_id, lower(company_name), id) WHERE deleted_at IS NULL;
CREATE INDEX clients_created_live ON clients (tenant_id, created_at) INCLUDE (status)
    WHERE deleted_at IS NULL;
CREATE INDEX clients_converted ON clients (tenant_id, converted_at)
    WHERE deleted_at IS NULL AND converted_at IS NOT NULL;
CREATE INDEX clients_last_contact ON clients (tenant_id, last_contact_at)
    WHERE deleted_at IS NULL AND last_contact_at IS NOT NULL;

-- Live client counts per tenant, kept by statement triggers in the transaction of every change
-- (so a KPI read is one row, and as consistent as the rows it counts).
CREATE TABLE client_stats (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id),
    total      bigint NOT NULL DEFAULT 0,
    leads      bigint NOT NULL DEFAULT 0,
    clients    bigint NOT NULL DEFAULT 0
);
ALTER TABLE client_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE client_stats FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON client_stats USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON client_stats TO crm_app;

-- Adds the live rows of `added` and subtracts those of `removed`; no write (and no lock on the
-- tenant's row) when the change moves no count, as for a touch of `last_contact_at`.
CREATE FUNCTION client_stats_apply() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO client_stats AS s (tenant_id, total, leads, clients)
        SELECT tenant_id, count(*), count(*) FILTER (WHERE status = 'lead'),
               count(*) FILTER (WHERE status = 'client')
          FROM added WHERE deleted_at IS NULL GROUP BY tenant_id
        ON CONFLICT (tenant_id) DO UPDATE
           SET total = s.total + excluded.total, leads = s.leads + excluded.leads,
               clients = s.clients + excluded.clients;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE client_stats s SET total = s.total - d.total, leads = s.leads - d.leads,
                                  clients = s.clients - d.clients
          FROM (SELECT tenant_id, count(*) AS total, count(*) FILTER (WHERE status = 'lead') AS leads,
                       count(*) FILTER (WHERE status = 'client') AS clients
                  FROM removed WHERE deleted_at IS NULL GROUP BY tenant_id) d
         WHERE s.tenant_id = d.tenant_id;
    ELSE
        INSERT INTO client_stats AS s (tenant_id, total, leads, clients)
        SELECT * FROM (
            SELECT tenant_id, sum(n) AS total,
                   coalesce(sum(n) FILTER (WHERE status = 'lead'), 0) AS leads,
                   coalesce(sum(n) FILTER (WHERE status = 'client'), 0) AS clients
              FROM (SELECT tenant_id, status, 1 AS n FROM added WHERE deleted_at IS NULL
                    UNION ALL
                    SELECT tenant_id, status, -1 FROM removed WHERE deleted_at IS NULL) d
             GROUP BY tenant_id) delta
         WHERE total <> 0 OR leads <> 0 OR clients <> 0
        ON CONFLICT (tenant_id) DO UPDATE
           SET total = s.total + excluded.total, leads = s.leads + excluded.leads,
               clients = s.clients + excluded.clients;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER client_stats_insert AFTER INSERT ON clients
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION client_stats_apply();
CREATE TRIGGER client_stats_update AFTER UPDATE ON clients
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION client_stats_apply();
CREATE TRIGGER client_stats_delete AFTER DELETE ON clients
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION client_stats_apply();

-- Counts of the clients that exist already (the owner reads every tenant only while the policy
-- is not forced on it).
ALTER TABLE clients NO FORCE ROW LEVEL SECURITY;
INSERT INTO client_stats (tenant_id, total, leads, clients)
SELECT tenant_id, count(*), count(*) FILTER (WHERE status = 'lead'),
       count(*) FILTER (WHERE status = 'client')
  FROM clients WHERE deleted_at IS NULL GROUP BY tenant_id;
ALTER TABLE clients FORCE ROW LEVEL SECURITY;
