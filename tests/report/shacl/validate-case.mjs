// Offline validation of a CASE/UCO 1.4 JSON-LD document, as case_validate (pySHACL) would do it, with the
// npm shacl-engine and its SPARQL plugin (UCO's shapes use sh:sparql constraints).
//
//   node validate-case.mjs ONTOLOGY_DIR DOCUMENT.jsonld
//
// Two checks, both must pass:
//  1. SHACL: the ontology files (minus owl.ttl, whose meta-shapes only talk about the ontology itself) are
//     merged into the data graph, owl:imports removed; only results whose focus node is a subject of the
//     document count.
//  2. Vocabulary: every predicate, every rdf:type object and every literal datatype the document uses must
//     be declared in the ontology files (SHACL does not flag unknown properties such as uco-tool:versionNumber).
// Violations and warnings fail; informational results (e.g. "suggested to end with a UUID") are listed only.
// Prints one JSON object on stdout: {conforms, shacl_results:[...], undeclared:[...], triples}.
// Exit code: 0 conforms, 1 does not conform, 2 could not run.
import fs from 'node:fs'
import path from 'node:path'
import rdf from '@zazuko/env-node'
import Validator from 'shacl-engine/Validator.js'
import { targetResolvers, validations } from 'shacl-engine/sparql.js'

const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#'
const RDFS = 'http://www.w3.org/2000/01/rdf-schema#'
const OWL = 'http://www.w3.org/2002/07/owl#'
const XSD = 'http://www.w3.org/2001/XMLSchema#'
const SH = 'http://www.w3.org/ns/shacl#'
// Files left out of the shapes: OWL-conformance meta-shapes about the ontology itself.
const EXCLUDED_ONTOLOGY_FILES = new Set(['uco_ontology_owl_owl.ttl'])
// Namespaces whose terms are standard and need no declaration in the CASE/UCO files.
const STANDARD_NAMESPACES = [RDF, RDFS, OWL, XSD]
// Types whose subjects count as declared terms.
const DECLARING_TYPES = new Set([
  OWL + 'Class', OWL + 'ObjectProperty', OWL + 'DatatypeProperty', OWL + 'AnnotationProperty',
  RDF + 'Property', RDFS + 'Class', RDFS + 'Datatype', SH + 'NodeShape'
])

async function readQuads (file) {
  const quads = []
  for await (const quad of rdf.fromFile(file)) quads.push(quad)
  return quads
}

async function main () {
  const [ontologyDir, documentPath] = process.argv.slice(2)
  if (!ontologyDir || !documentPath) {
    console.error('usage: node validate-case.mjs ONTOLOGY_DIR DOCUMENT.jsonld')
    process.exit(2)
  }
  const ontology = rdf.dataset()
  const files = fs.readdirSync(ontologyDir).filter(f => f.endsWith('.ttl') && !EXCLUDED_ONTOLOGY_FILES.has(f)).sort()
  if (files.length === 0) throw new Error(`no .ttl files in ${ontologyDir}`)
  for (const f of files) {
    for (const q of await readQuads(path.join(ontologyDir, f))) {
      if (q.predicate.value !== OWL + 'imports') ontology.add(q)
    }
  }
  const documentQuads = await readQuads(documentPath)

  // Declared vocabulary: typed as a class/property/datatype, or a named individual of any ontology type
  // (vocabulary members).
  const declared = new Set()
  for (const q of ontology) {
    if (q.predicate.value === RDF + 'type' && q.subject.termType === 'NamedNode') {
      if (DECLARING_TYPES.has(q.object.value) || q.object.value === OWL + 'NamedIndividual') declared.add(q.subject.value)
    }
  }
  const isStandard = iri => STANDARD_NAMESPACES.some(ns => iri.startsWith(ns))
  const undeclared = new Set()
  const use = (iri, role) => { if (!isStandard(iri) && !declared.has(iri)) undeclared.add(`${role} ${iri}`) }
  for (const q of documentQuads) {
    use(q.predicate.value, 'property')
    if (q.predicate.value === RDF + 'type' && q.object.termType === 'NamedNode') use(q.object.value, 'class')
    if (q.object.termType === 'Literal' && q.object.datatype) use(q.object.datatype.value, 'datatype')
  }

  // SHACL over data merged with the ontology (as case_validate does), counting only document nodes.
  const data = rdf.dataset()
  for (const q of ontology) data.add(q)
  for (const q of documentQuads) data.add(q)
  const documentSubjects = new Set(documentQuads.map(q => q.subject.value))
  const validator = new Validator(ontology, { factory: rdf, targetResolvers, validations })
  const report = await validator.validate({ dataset: data })
  const results = []
  for (const r of report.results) {
    const focus = r.focusNode?.value
    if (!documentSubjects.has(focus)) continue
    results.push({
      focus,
      path: r.path?.[0]?.predicates?.map(p => p.value).join('|') ?? null,
      severity: r.severity?.value?.replace(SH, ''),
      message: (r.message || []).map(m => m.value).join('; ')
    })
  }
  // As case_validate --allow-infos: violations and warnings fail, informational results are listed only.
  const failing = results.filter(r => r.severity !== 'Info')
  const conforms = failing.length === 0 && undeclared.size === 0
  console.log(JSON.stringify({
    conforms,
    triples: documentQuads.length,
    shacl_results: results,
    undeclared: [...undeclared].sort()
  }, null, 2))
  process.exit(conforms ? 0 : 1)
}

main().catch(err => {
  console.error(`validate-case: ${err.stack || err}`)
  process.exit(2)
})
