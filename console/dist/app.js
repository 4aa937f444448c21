var A,_t,Wn,Y,Je,xe,yt,ke,vt,Be,Ue,zn,fe=Symbol.for("pv"),Te={},Ce=[],Gn=/^m(i|n|o|s|text|space)$/,Ve=Array.isArray,We=Ce.slice,oe=Object.assign;function ne(e){e&&e.parentNode&&e.remove()}function ze(e,t,n){var s,r,o,i={},l=arguments.length;for(o in t)o=="key"?s=t[o]:o=="ref"&&typeof e!="function"?r=t[o]:i[o]=t[o];return l>2&&(i.children=l>3?We.call(arguments,2):n),pe(e,i,s,r,null)}function pe(e,t,n,s,r){var o={type:e,props:t,key:n,ref:s,__k:null,__:null,__b:0,__e:null,__c:null,constructor:fe,__v:r||++_t,__i:-1,__u:0};return!r&&A.vnode&&A.vnode(o),o}function Pe(e){return e.children}function me(e,t){this.props=e,this.context=t,this.__g=0}function ee(e,t){if(t==null)return e.__&&ee(e.__,e.__i+1);for(var n;t<e.__k.length;t++)if((n=e.__k[t])&&n.__e)return n.__e;return typeof e.type!="function"||e.props.__P?null:ee(e)}function Kn(e){var t,n=e.__v,s=n.__e,r=[],o=[],i=e.__P;i&&((t=oe({constructor:fe},n)).__v=n.__v+1,A.vnode&&A.vnode(t),Ge(i,t,n,e.__n,i.namespaceURI,32&n.__u?[s]:null,r,s||ee(n),32&n.__u,o),t.__v=n.__v,t.__.__k[t.__i]=t,Ct(r,t,o),n.__=n.__e=null,t.__e!=s&&wt(t))}function wt(e){if((e=e.__)&&e.__c&&!e.props.__P)return e.__e=null,e.__k.some(function(t){return t&&(e.__e=t.__e)}),wt(e)}function bt(e){(8&e.__g||(e.__g|=8,Y.push(e),xe++))&&Je==A.debounceRendering||((Je=A.debounceRendering)||queueMicrotask)(kt)}function kt(){try{for(var e,t=1;Y.length;)Y.length>t&&Y.sort(yt),e=Y.shift(),t=Y.length,8&e.__g&&Kn(e)}finally{(xe=Y.length)&&(Je||queueMicrotask)(kt)}}function St(e,t,n,s,r,o,i,l,u,m,d){var p,h,c,f,b,$,v=s.__k||Ce,y=t.length;for(u=Qn(n,t,v,u,y),p=0;p<y;p++)(c=n.__k[p])!=null&&(h=~c.__i&&v[c.__i]||Te,c.__i=p,$=Ge(e,c,h,r,o,i,l,u,m,d),f=c.__e,(h.ref!=c.ref||8&h.__u)&&(h.ref&&Ke(h.ref,null,c,h),c.ref&&d.push(c.ref,c.__c||f,c)),b=b||f,4&c.__u?(u=xt(c,u,e,!h.__v),h.__e&&(h.__e=null)):typeof c.type=="function"&&$!==void 0?u=$:f&&(u=f.nextSibling),c.__u&=-21);return n.__e=b,u}function Qn(e,t,n,s,r){var o,i,l,u,m,d,p,h,c,f=n.length,b=f,$=0,v=0,y=e.__k=Array(r);for(o=0;o<r;o++)(i=t[o])!=null&&typeof i!="boolean"&&typeof i!="function"?(typeof i!="object"||i.constructor===String?i=y[o]=pe(null,i):Ve(i)?i=y[o]=pe(Pe,{children:i}):i.constructor===fe&&i.__b?i=y[o]=pe(i.type,i.props,i.key,i.ref,i.__v):y[o]=i,u=o+$,i.__=e,i.__b=e.__b+1,l=null,~(m=i.__i=Zn(i,n,u,b))&&(b--,(l=n[m])&&(l.__u|=2)),l&&l.__v?(i.__u|=16,m==u-1?$--:m==u+1?$++:m!=u&&(m>u?$--:$++,v=1)):(~m||(r>f?$--:r<f&&$++),typeof i.type!="function"&&(i.__u|=4))):y[o]=null;if(v){for(d=[],p=[],o=0;o<r;o++)if((i=y[o])&&16&i.__u){for($=0,h=d.length;$<h;)d[c=$+h>>1]<i.__i?$=c+1:h=c;d[$]=i.__i,p[o]=$+1}for($=d.length;o--;)p[o]&&(p[o]==$?$--:y[o].__u|=4)}if(b)for(o=0;o<f;o++)!(l=n[o])||2&l.__u||(l.__e==s&&(s=ee(l)),Qe(l,l));return s}function xt(e,t,n,s){var r,o,i,l;if(typeof e.type=="function"){if(e.props.__P)return t;if(r=e.__k)for(o=0;o<r.length;o++)r[o]&&(r[o].__=e,t=xt(r[o],t,n,!1));return t}for(t&&!t.parentNode&&(t=ee(e))&&!t.parentNode&&(t=null),i=e.__e,l=t;l&&l.nodeType==8;)l=l.nextSibling;for(i!=l&&(!s&&n.moveBefore&&i.parentNode?n.moveBefore(i,t):n.insertBefore(i,t||null)),t=i;(t=t&&t.nextSibling)&&t.nodeType==8&&!t.data.startsWith("$s"););return t}function Zn(e,t,n,s){var r,o=e.key,i=e.type,l=t[n],u=l&&!(2&l.__u);if(l===null&&o==null||u&&o==l.key&&i==l.type)return n;if(s>(u?1:0)){for(r=n-1;r>=0;r--)if((l=t[r])&&!(2&l.__u)&&o==l.key&&i==l.type)return r;for(r=n+1;r<t.length;r++)if((l=t[r])&&!(2&l.__u)&&o==l.key&&i==l.type)return r}return-1}function $t(e,t,n){n==null&&(n=""),t[0]=="-"?e.setProperty(t,n):e[t]=n}function we(e,t,n,s,r){var o,i;if(t=="style")if(typeof n=="string")e.style.cssText=n;else{if(typeof s=="string"&&(e.style.cssText=s=""),s)for(t in s)n&&t in n||$t(e.style,t);if(n)for(t in n)s&&n[t]==s[t]||$t(e.style,t,n[t])}else if(t[0]=="o"&&t[1]=="n")typeof n!="function"&&(n=null),typeof s!="function"&&(s=null),(e.__e||(e.__e={}))[t]=n,n&&s||(i=Ue[t]||(Ue[t]=Xn(t)),(e.__a||(e.__a={}))[t]=Be,o=t!=(t=t.replace(vt,"$1")),(t=t.slice(2))[0]<"a"&&(t=t.toLowerCase()),n?e.addEventListener(t,i,o):e.removeEventListener(t,i,o));else{if(r=="http://www.w3.org/2000/svg")t=t.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(t!="width"&&t!="height"&&t!="href"&&t!="list"&&t!="form"&&t!="tabIndex"&&t!="download"&&t!="rowSpan"&&t!="colSpan"&&t!="role"&&t!="popover"&&t in e)try{return void(e[t]=n??"")}catch{}if(typeof n=="function")return;n==null||n===!1&&t[4]!="-"?e.removeAttribute(t):e.setAttribute(t,t=="popover"&&n==1?"":n)}}function Xn(e){return function(t){var n=this.__e;if(n){if(n=n[e],t[ke]==null)t[ke]=Be++;else if(t[ke]<this.__a[e])return;return n(A.event?A.event(t):t)}}}function Ge(e,t,n,s,r,o,i,l,u,m){var d,p,h,c,f,b,$,v,y,x,C,z,G,te,T,R,D,I,B=t.type;if(t.constructor!==fe)return null;128&n.__u&&(u=32&n.__u,d=n.__c.__z)&&(t.__u|=u,p=o=[],d.nodeType==8?l=Se(d,o):o.push(d),l=o[0]||l),(d=A.__b)&&d(t);e:if(typeof B=="function"){h=i.length;try{if(v=t.props,y=(d=B.prototype)&&d.render,x=(d=B.contextType)&&s[d.__c],C=d?x?x.props.value:d.__:s,(c=n.__c)?(t.__c=c,2&c.__g&&(c.__g|=1)):(y?t.__c=c=new B(v,C):(t.__c=c=new me(v,C),c.constructor=B,c.render=eo),x&&x.sub(c),c.state||(c.state={}),c.__n=s,c.__g|=8,c.__h=[],c.__k=[]),y&&(c.__s||(c.__s=c.state),B.getDerivedStateFromProps&&(c.__s==c.state&&(c.__s=oe({},c.__s)),oe(c.__s,B.getDerivedStateFromProps(v,c.__s)))),f=c.props,b=c.state,c.__v=t,n.__c){if(v!==f&&y&&!B.getDerivedStateFromProps&&c.componentWillReceiveProps&&c.componentWillReceiveProps(v,C),t.__v==n.__v&&!(8&c.__g)||!(4&c.__g)&&c.shouldComponentUpdate&&c.shouldComponentUpdate(v,c.__s,C)===!1){t.__v!=n.__v&&(c.props=v,c.state=c.__s,c.__g&=-9),t.__e=n.__e,t.__k=n.__k,t.__k.some(function(q){q&&(q.__=t)}),Ce.push.apply(c.__h,c.__k),c.__k=[],c.__h.length&&i.push(c),l=ee(n);break e}c.componentWillUpdate&&c.componentWillUpdate(v,c.__s,C),y&&c.componentDidUpdate&&c.__h.push(function(){c.componentDidUpdate(f,b,$)})}else y&&!B.getDerivedStateFromProps&&c.componentWillMount&&c.componentWillMount(),y&&c.componentDidMount&&c.__h.push(c.componentDidMount);c.context=C,c.props=v,c.__P=e,c.__g&=-5,z=A.__r,G=y?25:0;do c.__g&=-9,z&&z(t),d=c.render(c.props,c.state=c.__s,c.context);while(8&c.__g&&++G<25);y&&(Ce.push.apply(c.__h,c.__k),c.__k=[]),c.state=c.__s,c.getChildContext&&(s=oe({},s,c.getChildContext())),y&&n.__c&&c.getSnapshotBeforeUpdate&&($=c.getSnapshotBeforeUpdate(f,b)),te=d&&d.type===Pe&&d.key==null?d.props.children:d,v.__P&&(d=l,r=(e=v.__P).namespaceURI,u=o=null,n.props&&n.props.__P!=e&&(n.__k.some(function(q){q&&Qe(q,q)}),n.__k=null),l=n.__k?ee(n,0):null),l=St(e,Ve(te)?te:[te],t,n,s,r,o,i,l,u,m),v.__P&&(t.__e=null,l=d),t.__u&=-161,p&&p.some(ne),c.__h.length&&i.push(c),1&c.__g&&(c.__g&=-4)}catch(q){if(i.length=h,t.__v=null,u||o)if(q&&q.then){if(t.__u|=128|u,o){for(~(D=o.indexOf(l||void 0))||(D=o.length);(I=o[D-1])&&I.nodeType==8;)D--;for(;D<o.length;D++)if(I=o[D])if(o[D]=null,T){if(I==R)break}else{if(I.nodeType!=8)break;I.data.startsWith("$s")&&(R=Se(T=I))}}if(!T){for(;l&&l.nodeType==8&&l.nextSibling;)l=l.nextSibling;T=l}(d=Se(T=t.__c.__z||(t.__c.__z=T)))?(t.__e=T,l=d):t.__e=l,l=l&&l.nextSibling}else o&&o.some(ne);else t.__e=n.__e;t.__k||(t.__k=n.__k||[]),q&&q.then||Tt(t),A.__e(q,t,n)}}else l=t.__e=Yn(n.__e,t,n,s,r,o,i,u,m,e);return(d=A.diffed)&&d(t),l}function Se(e,t){if(e&&e.nodeType==8&&e.data.startsWith("$s"))for(var n=1;e=e.nextSibling;){if(e.nodeType==8){if(e.data.startsWith("$s"))n++;else if(e.data.startsWith("/$s")&&!--n)return e}t&&t.push(e)}}function Tt(e){e&&(e.__c&&(e.__c.__g|=4),e.__k&&e.__k.some(Tt))}function Ct(e,t,n){for(var s=0;s<n.length;)Ke(n[s++],n[s++],n[s++]);A.__c&&A.__c(t,e),e.some(function(r){try{e=r.__h,r.__h=[],e.some(function(o){o.call(r)})}catch(o){A.__e(o,r.__v)}})}function Yn(e,t,n,s,r,o,i,l,u,m){var d,p,h,c,f,b,$,v,y=n.props||Te,x=t.props,C=t.type;if(C=="svg"?r="http://www.w3.org/2000/svg":C=="math"?r="http://www.w3.org/1998/Math/MathML":r||(r="http://www.w3.org/1999/xhtml"),o){for(d=0;d<o.length;d++)if((f=o[d])&&(C?f.localName==C:f.nodeType==3)){e=f,o[d]=null;break}}if(!e){if(v=m.ownerDocument||document,!C)return v.createTextNode(x);e=v.createElementNS(r,C,x.is?x:m),l&&(A.__m&&A.__m(t,o),l=!1),o=null}if(C){if(m=C=="template"&&e.content||e,o=C=="textarea"&&x.defaultValue!=null?null:o&&We.call(m.childNodes),!l&&o)for(y={},d=0;d<e.attributes.length;d++)y[(f=e.attributes[d]).name]=f.value;for(d in y)f=y[d],d=="dangerouslySetInnerHTML"?h=f:d=="children"||d in x||d=="value"&&"defaultValue"in x||d=="checked"&&"defaultChecked"in x||we(e,d,null,f,r);for(d in x)f=x[d],d=="children"?c=f:d=="dangerouslySetInnerHTML"?p=f:d=="value"?b=f:d=="checked"?$=f:l&&typeof f!="function"||y[d]===f||we(e,d,f,y[d],r);p?(l||h&&(p.__html==h.__html||p.__html==e.innerHTML)||(e.innerHTML=p.__html),t.__k=[]):(h&&(e.textContent=""),(C=="foreignObject"||r=="http://www.w3.org/1998/Math/MathML"&&Gn.test(C))&&(r="http://www.w3.org/1999/xhtml"),St(m,Ve(c)?c:[c],t,n,s,r,o,i,o?o[0]:n.__k&&ee(n,0),l,u),o&&o.some(ne)),l&&C!="textarea"||(d="value",C=="progress"&&b==null?e.removeAttribute(d):b==null||b===e[d]&&(C!="progress"||b)||we(e,d,b,y[d],r),d="checked",$!=null&&$!=e[d]&&we(e,d,$,y[d],r))}else y===x||l&&e.data==x||(e.data=x);return e}function Ke(e,t,n,s){try{typeof e=="function"?t?t.__x=e(t)||1:s&&(s=s.__c||s.__e)&&(t=s.__x)&&(s.__x=null,typeof t=="function"?t():e(null)):e.current=t}catch(r){A.__e(r,n)}}function Qe(e,t,n){var s,r,o,i;if(A.unmount&&A.unmount(e),!(s=e.ref)||s.current&&s.current!=e.__e||Ke(s,null,t,e),s=e.__c){if(s.componentWillUnmount)try{s.componentWillUnmount()}catch(l){A.__e(l,t)}s.__P=s.__n=null}if(s=e.__k)for(i=0;i<s.length;i++)s[i]&&Qe(s[i],t,typeof e.type!="function"||n&&!e.props.__P);!n&&(s=e.__c)&&(s=s.__z)&&(r=Se(s,o=[]))&&(s==e.__e&&o.some(ne),ne(r),ne(s)),n||ne(e.__e),e.__e=e.__c=e.__=null}function eo(e,t,n){return this.constructor(e,n)}function Ze(e,t){var n,s,r,o;A.__&&A.__(e,t),t.nodeType==9&&(t=t.documentElement),s=(n=e&&32&e.__u)?null:t.__k,t.__k=pe(Pe,{children:[e]}),r=[],o=[],Ge(t,t.__k,s||Te,Te,t.namespaceURI,s?null:t.firstChild?We.call(t.childNodes):null,r,s?s.__e:t.firstChild,n,o),Ct(r,t.__k,o),t.__k.props.children=null}A={__e:function(e,t,n,s){for(var r,o,i;t=t.__;)if((r=t.__c)&&!(1&r.__g)){r.__g|=4;try{if((i=(o=r.constructor)&&o.getDerivedStateFromError)&&r.setState(o.getDerivedStateFromError(e)),r.componentDidCatch&&(r.componentDidCatch(e,s||{}),i=1),i&&8&r.__g)return void(r.__g|=2)}catch(l){e=l}}throw xe=0,e}},_t=0,Wn=function(e){return e!=null&&e.constructor===fe},me.prototype.setState=function(e,t){var n=this.__s;n&&n!=this.state||(n=this.__s=oe({},this.state)),typeof e=="function"&&(e=e(oe({},n),this.props)),e&&(oe(n,e),this.__v&&(t&&this.__k.push(t),bt(this)))},me.prototype.forceUpdate=function(e){this.__v&&(this.__g|=4,e&&this.__h.push(e),bt(this))},me.prototype.render=Pe,Y=[],xe=0,yt=function(e,t){return e.__v.__b-t.__v.__b},ke=Symbol(),vt=/(PointerCapture)$|Capture$/i,Be=0,Ue={},zn=0;var Et=function(e,t,n,s){var r;t[0]=0;for(var o=1;o<t.length;o++){var i=t[o++],l=t[o]?(t[0]|=i?1:2,n[t[o++]]):t[++o];i===3?s[0]=l:i===4?s[1]=Object.assign(s[1]||{},l):i===5?(s[1]=s[1]||{})[t[++o]]=l:i===6?s[1][t[++o]]+=l+"":i?(r=e.apply(l,Et(e,l,n,["",null])),s.push(r),l[0]?t[0]|=2:(t[o-2]=0,t[o]=r)):s.push(l)}return s},Pt=new Map;function Rt(e){var t=Pt.get(this);return t||(t=new Map,Pt.set(this,t)),(t=Et(this,t.get(e)||(t.set(e,t=(function(n){for(var s,r,o=1,i="",l="",u=[0],m=function(h){o===1&&(h||(i=i.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?u.push(0,h,i):o===3&&(h||i)?(u.push(3,h,i),o=2):o===2&&i==="..."&&h?u.push(4,h,0):o===2&&i&&!h?u.push(5,0,!0,i):o>=5&&((i||!h&&o===5)&&(u.push(o,0,i,r),o=6),h&&(u.push(o,h,0,r),o=6)),i=""},d=0;d<n.length;d++){d&&(o===1&&m(),m(d));for(var p=0;p<n[d].length;p++)s=n[d][p],o===1?s==="<"?(m(),u=[u],o=3):i+=s:o===4?i==="--"&&s===">"?(o=1,i=""):i=s+i[0]:l?s===l?l="":i+=s:s==='"'||s==="'"?l=s:s===">"?(m(),o=1):o&&(s==="="?(o=5,r=i,i=""):s==="/"&&(o<5||n[d][p+1]===">")?(m(),o===3&&(u=u[0]),o=u,(u=u[0]).push(2,0,o),o=0):s===" "||s==="	"||s===`
`||s==="\r"?(m(),o=2):i+=s),o===3&&i==="!--"&&(o=4,u=u[0])}return m(),u})(e)),t),arguments,[])).length>1?t:t[0]}var a=Rt.bind(ze);var ge,M,Xe,At,Ye=Object.is,Ee=0,qt=[],et=[],j=A,Lt=j.__b,Dt=j.__r,Nt=j.diffed,Ot=j.__c,It=j.unmount,jt=j.__;function nt(e,t){j.__h&&j.__h(M,e,Ee||t),Ee=0;var n=M.__H||(M.__H={__:[],__h:[]});return e>=n.__.length&&n.__.push({}),n.__[e]}function g(e){return Ee=1,to(Jt,e)}function to(e,t,n){var s=nt(ge++,2);if(s.t=e,!s.__c&&(s.__=[n?n(t):Jt(void 0,t),function(o){var i=(s.__N||s.__)[0],l=s.t(i,o);Ye(i,l)||(s.__N=[l,s.__[1]],s.__c.setState({}))}],s.__c=M,!M.__f)){M.__f=!0;var r=M.shouldComponentUpdate;M.shouldComponentUpdate=function(o,i,l){var u=this.__H;if(!u)return!0;var m=!1,d=this.props!=o;if(u.__.some(function(h){h.__N&&(m=!0,Ye(h.__[0],h.__N[0])||(d=!0))}),r){var p=r.call(this,o,i,l);return m?p||d:p}return!m||d}}return s.__}function k(e,t){var n=nt(ge++,3);!j.__s&&Ht(n.__H,t)&&(n.__P=!0,n.__=e,n.u=t,M.__H.__h.push(n))}function Q(e){return Ee=5,no(function(){return{current:e}},[])}function no(e,t){var n=nt(ge++,7);return Ht(n.__H,t)&&(n.__=e(),n.__H=t),n.__}function oo(){var e;do{for(;e=et.shift();)try{he(e)}catch(n){j.__e(n,{__:(e=e.__P)&&e.__v})}for(;e=qt.shift();){var t=e.__H;if(e.__P&&t)try{t.__h.some(he),t.__h.some(tt),t.__h=[]}catch(n){t.__h=[],j.__e(n,e.__v)}}}while(et.length)}j.__b=function(e){M=null,Lt&&Lt(e)},j.__=function(e,t){e&&t.__k&&t.__k.__m&&(e.__m=t.__k.__m),jt&&jt(e,t)},j.__r=function(e){Dt&&Dt(e),ge=0;var t=(M=e.__c).__H;t&&(Xe==M?M.__h=[]:(t.__h.some(he),t.__h.some(tt),ge=0),t.__h=[],t.__.some(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})),Xe=M},j.diffed=function(e){Nt&&Nt(e);var t=e.__c;t&&t.__H&&(t.__H.__h.length&&Ft(qt.push(t)),t.__H.__.some(function(n){n.u&&(n.__H=n.u)})),Xe=M=null},j.__c=function(e,t){t.some(function(n){try{n.__h.some(he),n.__h=n.__h.filter(function(s){return!s.__||tt(s)})}catch(s){n.__h=[function(){throw s}]}}),Ot&&Ot(e,t)},j.unmount=function(e){It&&It(e);var t,n,s=e.__c;s&&s.__H&&(s.__H.__.some(function(r){try{if(r.__P&&r.__c){if(n===void 0){for(n=e.__;n&&(!n.__c||!n.__c.__P);)n=n.__;n=n&&n.__c}r.__P=n,Ft(et.push(r))}else he(r)}catch(o){t=o}}),s.__H=void 0,t&&j.__e(t,s.__v))};var Mt=typeof requestAnimationFrame=="function";function so(e){var t,n=function(){clearTimeout(s),Mt&&cancelAnimationFrame(t),setTimeout(e)},s=setTimeout(n,35);Mt&&(t=requestAnimationFrame(n))}function Ft(e){e!=1&&At==j.requestAnimationFrame||((At=j.requestAnimationFrame)||so)(oo)}function he(e){var t=M,n=e.__c;typeof n=="function"&&(e.__c=void 0,n()),M=t}function tt(e){var t=M;e.__c=e.__(),M=t}function Ht(e,t){return!e||e.length!=t.length||t.some(function(n,s){return!Ye(n,e[s])})}function Jt(e,t){return typeof t=="function"?t(e):t}var E=class extends Error{constructor(n,s,r){super(s);this.status=n;this.body=r}status;body},ot,Ut=()=>{};function Re(e){ot=e}function Bt(e){Ut=e}async function w(e,t={}){let n=t.method??"GET",s={accept:"application/json",...t.headers};t.body!==void 0&&(s["content-type"]="application/json"),n!=="GET"&&ot&&(s["x-umbra-csrf"]=ot);let r;try{r=await fetch(e,{method:n,headers:s,credentials:"same-origin",body:t.body===void 0?void 0:JSON.stringify(t.body)})}catch{throw new E(0,"The node is unreachable")}let o=await r.text(),i;try{i=o?JSON.parse(o):void 0}catch{i=void 0}if(!r.ok){r.status===401&&!t.quiet401&&Ut();let l=i?.message??`${r.status} ${r.statusText}`;throw new E(r.status,l,i)}return i}var _=encodeURIComponent;var st=class{source;listeners=new Set;statusListeners=new Set;status="connecting";everLive=!1;wanted=!1;start(){if(this.wanted=!0,this.source)return;let t=new EventSource("/console/api/events");this.source=t,t.addEventListener("hello",()=>{this.everLive&&this.emit({type:"reconnected"}),this.everLive=!0,this.setStatus("live")}),t.addEventListener("shadow",n=>this.emit({type:"shadow",data:JSON.parse(n.data)})),t.addEventListener("presence",n=>this.emit({type:"presence",data:JSON.parse(n.data)})),t.onerror=()=>{this.setStatus("lost"),t.readyState===EventSource.CLOSED&&(this.source=void 0,w("/session").catch(()=>{}),setTimeout(()=>{this.wanted&&this.start()},2e3))}}stop(){this.wanted=!1,this.source?.close(),this.source=void 0,this.everLive=!1,this.setStatus("connecting")}subscribe(t){return this.listeners.add(t),()=>this.listeners.delete(t)}onStatus(t){return this.statusListeners.add(t),()=>this.statusListeners.delete(t)}emit(t){for(let n of this.listeners)n(t)}setStatus(t){if(t!==this.status){this.status=t;for(let n of this.statusListeners)n(t)}}},se=new st;function ae(e,t=[]){k(()=>se.subscribe(e),t)}function Vt(){let[e,t]=g(se.status);return k(()=>se.onStatus(t),[]),e}function H(e){return e.role==="operator"||e.role==="anonymous"}async function Wt(){let e=await w("/session",{quiet401:!0});return Re(e.csrf),e}async function zt(e){let t=await w("/session",{method:"POST",body:e,headers:{"x-umbra-console":"1"},quiet401:!0});return Re(t.csrf),t}async function Gt(){await w("/session",{method:"DELETE"}).catch(()=>{}),Re(void 0)}function Kt({reason:e,onSignedIn:t}){let[n,s]=g("password"),[r,o]=g(e),[i,l]=g(!1);return a`<main class="centered">
    <form class="card signin" onSubmit=${async m=>{m.preventDefault();let d=new FormData(m.target);l(!0),o(void 0);try{let p=await zt(n==="token"?{token:String(d.get("token")??"")}:{username:String(d.get("username")??""),password:String(d.get("password")??"")});t(p)}catch(p){o(p instanceof E?p.message:String(p))}finally{l(!1)}}} aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to Umbra</h1>
      <div class="tabs" role="group" aria-label="Sign-in method">
        <button type="button" aria-pressed=${n==="password"} onClick=${()=>s("password")}>
          User name and password
        </button>
        <button type="button" aria-pressed=${n==="token"} onClick=${()=>s("token")}>Bearer token</button>
      </div>
      ${n==="password"?a`<label>User name <input name="username" autocomplete="username" required /></label>
              <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>`:a`<label>Token <input name="token" autocomplete="off" placeholder="umb_…" required /></label>`}
      ${r?a`<p class="error" role="alert">${r}</p>`:null}
      <button type="submit" class="primary" disabled=${i}>Sign in</button>
      <p class="hint">Operators and viewers sign in here; <code>umbra user add</code> creates them.</p>
    </form>
  </main>`}function N(e){return e===void 0?"\u2014":new Date(e*1e3).toLocaleString()}function Z(e,t=Date.now()){if(e===void 0)return"\u2014";let n=Math.max(0,Math.round(t/1e3-e));return n<60?`${n} s ago`:n<3600?`${Math.floor(n/60)} min ago`:n<86400?`${Math.floor(n/3600)} h ago`:`${Math.floor(n/86400)} d ago`}function Ae(e){return e<1024?`${e} B`:e<1024*1024?`${(e/1024).toFixed(1)} KiB`:`${(e/1024/1024).toFixed(1)} MiB`}function le(e){return e<1e3?`${e} ms`:e<6e4?`${(e/1e3).toFixed(1)} s`:`${Math.floor(e/6e4)} min ${Math.round(e%6e4/1e3)} s`}function J(e){return e===void 0?"":JSON.stringify(e,null,2)}function O(e){return e instanceof E?e.status===0?e.message:`${e.message} (${e.status})`:String(e)}function F(e,t){let[n,s]=g(),[r,o]=g(),[i,l]=g(0);return k(()=>{if(e===void 0)return;let u=!1,m,d=()=>w(e).then(p=>{u||(s(p),o(void 0))}).catch(p=>!u&&o(O(p))).finally(()=>{!u&&t&&(m=setTimeout(d,t))});return d(),()=>{u=!0,clearTimeout(m)}},[e,t,i]),{data:n,error:r,reload:()=>l(u=>u+1)}}var Qt=e=>e==="critical"||e==="major"?"badge bad":e==="minor"||e==="warning"?"badge warn":"badge",Zt=e=>`/alarms/${[e.system,e.rule,e.thing].map(encodeURIComponent).join("/")}`;function Xt(e){let t=e.replace(/^#\/?/,""),[n="",s=""]=t.split("?"),[r="",...o]=n.split("/").map(i=>decodeURIComponent(i));return{page:r,args:o,query:new URLSearchParams(s)}}function Yt(){let[e,t]=g(()=>Xt(location.hash));return k(()=>{let n=()=>t(Xt(location.hash));return addEventListener("hashchange",n),()=>removeEventListener("hashchange",n)},[]),e}function U(e,t){return`#/things/${encodeURIComponent(e)}${t?`?shadow=${encodeURIComponent(t)}`:""}`}function en(e){return`#/things/${encodeURIComponent(e)}?view=inventory`}var tn=3e3,ro=["open","raised","acknowledged","cleared","all"],nn=(e,t)=>{let n=new URLSearchParams;e&&n.set("system",e),t!=="open"&&n.set("state",t),location.hash=`#/alarms${n.size>0?`?${n}`:""}`};function on({route:e,session:t}){let n=e.query.get("system")??"",s=e.query.get("state")??"open",r=F(`/alarms?state=${_(s)}${n?`&system=${_(n)}`:""}`,tn),o=F("/systems"),[i,l]=g(),[u,m]=g(),d=H(t),p=(c,f,b)=>{m(c.id),w(`${Zt(c)}/${f}`,{method:"POST",body:b}).then(()=>{l(void 0),r.reload()}).catch($=>l(O($))).finally(()=>m(void 0))},h=i??r.error;return a`
    <h1>Alarms</h1>
    <div class="toolbar">
      <label>System
        <select aria-label="System" value=${n} onChange=${c=>nn(c.target.value,s)}>
          <option value="">every system</option>
          ${(o.data?.results??[]).map(c=>a`<option value=${c.name}>${c.name}</option>`)}
          ${n&&!o.data?.results.some(c=>c.name===n)?a`<option value=${n}>${n}</option>`:null}
        </select>
      </label>
      <label>State
        <select aria-label="State" value=${s} onChange=${c=>nn(n,c.target.value)}>
          ${ro.map(c=>a`<option value=${c}>${c}</option>`)}
        </select>
      </label>
      ${n?a`<a href=${`#/review/${_(n)}`}>Review of ${n}</a>`:null}
      <span class="meta">Refreshed every ${tn/1e3} s.</span>
    </div>
    ${h?a`<p class="error" role="alert">${h}</p>`:null}
    ${r.data?r.data.results.length===0?a`<p class="empty" data-testid="no-alarms">No ${s==="all"?"":`${s} `}alarms${n?` in ${n}`:""}.</p>`:a`<${rt} alarms=${r.data.results} editable=${d} busy=${u} act=${p} />`:r.error?null:a`<p>Loading alarms…</p>`}
  `}function rt(e){let{alarms:t,editable:n,busy:s,act:r}=e,o=Date.now();return a`<div class="scroll" tabindex="0"><table data-testid="alarms-table">
    <caption class="sr-only">Alarms, newest raise first</caption>
    <thead><tr>
      <th scope="col">Alarm</th><th scope="col">Severity</th><th scope="col">State</th><th scope="col">Thing</th>
      <th scope="col">Summary</th><th scope="col">Raised</th><th scope="col">Fired</th><th scope="col">Acknowledged</th>
      ${n&&r?a`<th scope="col"><span class="sr-only">Actions</span></th>`:null}
    </tr></thead>
    <tbody>${t.map(i=>{let l=i.shelvedUntil!==void 0&&i.shelvedUntil>o;return a`<tr key=${i.id} data-alarm=${i.id}>
        <th scope="row">${i.system}/${i.rule}</th>
        <td><span class=${Qt(i.severity)}>${i.severity}</span></td>
        <td data-col="state" class="wrap">${i.state}${l?a`<br /><span class="badge off">shelved until ${N(i.shelvedUntil/1e3)}</span>`:null}</td>
        <td><a href=${U(i.thing)}>${i.thing}</a></td>
        <td class="wrap summary">${i.summary}${i.value!==void 0?` (${JSON.stringify(i.value)})`:""}</td>
        <td title=${N(i.raisedAt/1e3)}>${Z(i.raisedAt/1e3,o)}</td>
        <td>${i.fireCount}×</td>
        <td>${i.ackedBy?`${i.ackedBy}, ${Z((i.ackedAt??0)/1e3,o)}`:"\u2014"}</td>
        ${n&&r?a`<td class="actions">${i.state==="cleared"?null:a`
                ${i.state==="raised"?a`<button disabled=${s===i.id} onClick=${()=>r(i,"ack")}>Acknowledge</button>`:null}
                <button disabled=${s===i.id} onClick=${()=>r(i,"shelve",{for:"2h"})}>Shelve 2 h</button>
                <button class="danger" disabled=${s===i.id} onClick=${()=>r(i,"clear")}>Clear</button>`}</td>`:null}
      </tr>`})}</tbody>
  </table></div>`}function sn(e){let{data:t,error:n,reload:s}=F("/fleet/conflicts"),r=Q(void 0);return k(()=>()=>clearTimeout(r.current),[]),ae(o=>{let i=o.type==="reconnected"?void 0:o.data.thing,l=t?.results.some(m=>m.thing===i)??!1;!(o.type==="reconnected"||o.type==="shadow"&&((o.data.conflictLeaves??0)>0||l))||r.current||(r.current=setTimeout(()=>{r.current=void 0,s()},300))},[t]),a`
    <h1>Conflicts</h1>
    <p class="meta">Leaves that sites wrote concurrently: the shadow holds the winner, the losing values are listed here until someone writes the leaf again.</p>
    ${n?a`<p class="error" role="alert">${n}</p>`:null}
    ${t?t.results.length===0?a`<p class="empty" data-testid="no-conflicts">No open conflicts.</p>`:a`<div class="scroll" tabindex="0"><table data-testid="conflicts-table">
            <caption class="sr-only">Shadows with open conflicts</caption>
            <thead><tr><th scope="col">Thing</th><th scope="col">Shadow</th><th scope="col">Version</th><th scope="col">Conflicting leaves</th></tr></thead>
            <tbody>${t.results.map(o=>a`<tr key=${`${o.thing}/${o.shadow}`} data-thing=${o.thing}>
                <th scope="row"><a href=${U(o.thing,o.shadow||void 0)}>${o.thing}</a></th>
                <td>${o.shadow||"classic"}</td>
                <td>${o.version}</td>
                <td><pre tabindex="0">${J(o.conflicts)}</pre></td>
              </tr>`)}</tbody>
          </table></div>`:n?null:a`<p>Loading conflicts…</p>`}
  `}function Le(e,t){let n=Q(t);n.current=t,k(()=>{if(e===void 0)return;let s=new EventSource(`/things/stream?q=${encodeURIComponent(e)}`);return s.addEventListener("match",r=>{let{thing:o,record:i}=JSON.parse(r.data);n.current.match(o,i)}),s.addEventListener("unmatch",r=>n.current.unmatch(JSON.parse(r.data).thing)),()=>s.close()},[e])}function at(e){if(typeof e=="number")return e;if(e===null||typeof e!="object")return;let t;for(let n of Object.values(e)){let s=at(n);s!==void 0&&(t===void 0||s>t)&&(t=s)}return t}function it(e){if(e===null||typeof e!="object")return e===void 0?0:1;let t=0;for(let n of Object.values(e))t+=it(n);return t}function lt(e){let t=e.shadows[""],n=e.connectivity;return{thing:e.thingName,shadows:Object.keys(e.shadows).filter(s=>s!=="").sort(),classic:t!==void 0,version:t?.version,deltaLeaves:it(t?.state.delta),conflictLeaves:it(t?.conflicts),connection:n?{connected:n.connected,since:n.since??n.timestamp??0,site:n.site}:void 0,attributes:e.attributes??{}}}function rn(e){return e===void 0?"\u2014":e!==null&&typeof e=="object"?Object.entries(e).map(([t,n])=>`${t}=${rn(n)}`).join(" "):String(e)}function io(e,t){let n=e.attributes[t];return n===void 0?"\u2014":a`<a href=${en(e.thing)} title=${`Inventory of ${e.thing}`}>${rn(n)}</a>`}var ao=[["Thing","thingName"],["Presence","connectivity.connected"],["Site","connectivity.site"],["Since","connectivity.timestamp"],["Version","shadow.version"],["Delta","shadow.hasDelta"],["Conflicts","conflicts"]];function an(e){let{rows:t,attributeKeys:n,sort:s,onSort:r}=e,o=(i,l)=>{let u=s.field===l;return a`<th scope="col" aria-sort=${u?s.descending?"descending":"ascending":void 0}>
      <button class="sort" onClick=${()=>r(l)}>${i}${u?s.descending?" \u25BC":" \u25B2":""}</button>
    </th>`};return a`<div class="scroll" tabindex="0"><table class="fleet" data-testid="fleet-table">
    <caption class="sr-only">Things, with presence, delta, conflicts and attributes</caption>
    <thead><tr>
      ${ao.map(([i,l])=>o(i,l))}
      <th scope="col">Last report</th>
      ${n.map(i=>o(i,`attributes.${i}`))}
      <th scope="col">Named shadows</th>
    </tr></thead>
    <tbody>
      ${t.map(i=>a`<tr key=${i.thing} data-thing=${i.thing}>
          <th scope="row"><a href=${U(i.thing)}>${i.thing}</a>${i.gone?a` <span class="badge off" data-testid="gone">no longer matches</span>`:null}</th>
          <td data-col="presence">${De(i.connection)}</td>
          <td>${i.connection?.site??"\u2014"}</td>
          <td>${Z(i.connection?.since)}</td>
          <td data-col="version">${i.version??"\u2014"}</td>
          <td data-col="delta">${i.deltaLeaves>0?a`<span class="badge warn">${i.deltaLeaves} pending</span>`:i.classic?a`<span class="badge ok">in sync</span>`:"\u2014"}</td>
          <td data-col="conflicts">${i.conflictLeaves>0?a`<span class="badge bad">${i.conflictLeaves}</span>`:"0"}</td>
          <td data-col="last-report">${Z(i.lastReport)}</td>
          ${n.map(l=>a`<td data-col=${`attr-${l}`}>${io(i,l)}</td>`)}
          <td>${i.shadows.length>0?i.shadows.join(", "):"\u2014"}</td>
        </tr>`)}
    </tbody>
  </table></div>`}function De(e){return e?e.connected?a`<span class="badge ok" data-connected="true">connected</span>`:a`<span class="badge off" data-connected="false">offline</span>`:a`<span class="badge">never seen</span>`}var ln=50,lo=/^[A-Za-z0-9_.$/+-]*$/;function cn(e,t){let n=[];if(e.trim()&&n.push(`(${e.trim()})`),t.trim()){if(!lo.test(t.trim()))return{problem:"A name filter is letters, digits and _ . $ / + -"};n.push(`thingName:*${t.trim()}*`)}return n.join(" AND ")}function dn({route:e}){let[t,n]=g(e.query.get("q")??""),[s,r]=g(""),[o,i]=g({query:t,name:s}),[l,u]=g({field:"thingName",descending:!1}),[m,d]=g([""]),[p,h]=g(),[c,f]=g(),[b,$]=g(),[v,y]=g(),[x,C]=g(),[z,G]=g(),[te,T]=g(0),[R,D]=g(0),I=m[m.length-1]??"";k(()=>{let S=e.query.get("q");S!==null&&(n(S),i(P=>({...P,query:S})),d([""]))},[e.query.toString()]),k(()=>{if(s===o.name)return;let S=setTimeout(()=>{i(P=>P.name===s?P:{...P,name:s}),d([""])},200);return()=>clearTimeout(S)},[s]),k(()=>{let S=!1,P=cn(o.query,o.name);if(typeof P!="string"){G({message:P.problem,query:o.name});return}let V=`${l.descending?"-":""}${l.field}`,K=w(`/things?q=${_(P)}&sort=${_(V)}&fields=*&limit=${ln}&cursor=${_(I)}`),re=w(`/things/count?q=${_(P)}`),ve=w(`/things?q=${_(P)}&sort=${_(V)}&fields=shadow.metadata.reported&limit=${ln}&cursor=${_(I)}`);return Promise.all([K,re,ve]).then(([W,ie,He])=>{if(S)return;let Vn=new Map(He.results.map(ue=>[ue.thingName,at(ue["shadow.metadata.reported"])]));h(W.results.map(ue=>({...lt(ue),lastReport:Vn.get(ue.thingName)}))),f(W.nextCursor),$(ie.count),y(W.partial?.reason),C(void 0),G(void 0),D(0)}).catch(W=>{if(S)return;let ie=W instanceof E?W.body:void 0;if(ie?.error==="query_invalid"){let He=ie.position===void 0?void 0:ie.position-1;G({message:ie.problem??O(W),position:He,query:o.query})}else C(O(W))}),()=>{S=!0}},[o,l,I,te]);let B=Q(!0);k(()=>{p&&B.current&&(B.current=!1,performance.mark("umbra:fleet-rendered"))},[p]),ae(S=>{if(S.type==="reconnected")return T(P=>P+1);h(P=>{if(!P)return P;let V=P.findIndex(W=>W.thing===S.data.thing);if(V<0)return S.type==="shadow"&&S.data.shadow===""&&S.data.version===1&&D(W=>W+1),P;let K=P[V],re;if(S.type==="presence")re={...K,connection:S.data.connection};else{if(S.data.shadow!=="")return P;S.data.deleted?re={...K,classic:!1,version:void 0,deltaLeaves:0,conflictLeaves:0}:re={...K,classic:!0,version:S.data.version,deltaLeaves:S.data.deltaLeaves??0,conflictLeaves:S.data.conflictLeaves??0,lastReport:S.data.lastReport??K.lastReport}}let ve=P.slice();return ve[V]=re,ve})});let q=cn(o.query,o.name),Jn=(p??[]).map(S=>S.thing).join(`
`);Le(typeof q=="string"?co(q,Jn):void 0,{match:(S,P)=>h(V=>V?.map(K=>K.thing===S?{...lt(P),lastReport:K.lastReport}:K)),unmatch:S=>h(P=>P?.map(V=>V.thing===S?{...V,gone:!0}:V))});let Un=[...new Set((p??[]).flatMap(S=>Object.keys(S.attributes)))].sort(),Bn=S=>{u(P=>({field:S,descending:P.field===S?!P.descending:!1})),d([""])};return a`
    <h1>Fleet</h1>
    <form class="toolbar query" onSubmit=${S=>{S.preventDefault(),i(P=>({...P,query:t})),d([""])}}>
      <label class="grow">Fleet query
        <input type="search" name="q" value=${t} placeholder="attributes.type:pdu AND shadow.reported.temp > 30"
          aria-describedby="query-help" onInput=${S=>n(S.target.value)} />
      </label>
      <button type="submit">Run query</button>
      <label class="filter">Filter by name
        <input type="search" value=${s} placeholder="e.g. pdu-" onInput=${S=>r(S.target.value)} />
      </label>
    </form>
    <p id="query-help" class="meta">The fleet query language (docs/fleet.md): <code>field:value</code>, <code>></code>, <code>[a TO b]</code>, AND, OR, NOT; click a column to sort.</p>
    ${z?a`<div class="error" role="alert" data-testid="query-error">${uo(z)}</div>`:null}
    ${x?a`<p class="error" role="alert">${x}</p>`:null}
    ${v?a`<p class="meta" role="status">Partial answer: ${v}</p>`:null}
    <div class="toolbar">
      <span data-testid="fleet-total" aria-live="polite">${b===void 0?"":`${b} ${b===1?"thing":"things"}`}</span>
      <span class="pager">
        <button disabled=${m.length<2} onClick=${()=>d(m.slice(0,-1))}>← Previous</button>
        <span aria-live="polite">Page ${m.length}</span>
        <button disabled=${c===void 0} onClick=${()=>c!==void 0&&d([...m,c])}>Next →</button>
      </span>
    </div>
    ${R>0?a`<p class="meta" role="status" data-testid="fleet-created">
            ${R} new ${R===1?"thing":"things"} since this page was read.
            <button onClick=${()=>T(S=>S+1)}>Refresh</button>
          </p>`:null}
    ${p===void 0?a`<p>Loading things…</p>`:p.length===0?a`<p class="empty">${o.query||o.name?"No thing matches.":"No things yet: a device creates its shadow with its first update."}</p>`:a`<${an} rows=${p} attributeKeys=${Un} sort=${l} onSort=${Bn} />`}
  `}function co(e,t){if(!t)return;let n=t.split(`
`).map(r=>`thingName:${JSON.stringify(r)}`).join(" OR "),s=e?`(${e}) AND (${n})`:n;return s.length<=4096?s:e}function uo(e){return e.position===void 0||e.position<0||e.position>e.query.length?a`<p>${e.message}</p>`:a`<p>At character ${e.position+1}: ${e.message}</p>
    <pre class="caret" aria-hidden="true">${e.query}\n${" ".repeat(e.position)}^</pre>`}function un({name:e,password:t,onDone:n}){let[s,r]=g();k(()=>{w("/console/api/node").then(m=>r(m.mqtt)).catch(()=>r({}))},[]);let o=location.hostname.includes(":")?`[${location.hostname}]`:location.hostname,i=s?.mqtt??s?.mqtts??1883,l=s?.mqtt===void 0&&s?.mqtts!==void 0?" --cafile node-ca.pem":"",u=`mosquitto_pub -h ${o} -p ${i}${l} -i ${e} -u ${e} -P '${t}' -t '$umbra/things/${e}/shadow/update' -m '{"state":{"reported":{"online":true}}}'`;return a`<section class="card once" aria-labelledby="once-title" data-testid="new-device">
    <h2 id="once-title">Device ${e} added</h2>
    <p class="warn-text" role="status">Copy the password now: it is shown only once and stored only as a hash.</p>
    <${ct} label="User name" value=${e} />
    <${ct} label="Password" value=${t} testid="new-password" />
    ${s?a`<${ct} label="Try it with mosquitto_pub" value=${u} testid="mosquitto-line" />`:null}
    <button onClick=${n}>Done, I stored it</button>
  </section>`}function ct({label:e,value:t,testid:n}){let[s,r]=g(!1);return a`<div class="copyable">
    <span class="label">${e}</span>
    <code data-testid=${n}>${t}</code>
    <button type="button" onClick=${async()=>{try{await navigator.clipboard.writeText(t),r(!0),setTimeout(()=>r(!1),1500)}catch{}}} aria-label=${`Copy ${e}`}>${s?"Copied":"Copy"}</button>
  </div>`}function po(e){return e.revokedAt!==null?a`<span class="badge off">revoked ${N(e.revokedAt/1e3)}</span>`:a`<span class="badge ok">active</span>${e.previousPasswordUntil?a` <span class="badge warn" data-testid="grace">old password until ${N(e.previousPasswordUntil/1e3)}</span>`:null}`}function pn({session:e}){let[t,n]=g(),[s,r]=g(),[o,i]=g(),[l,u]=g(),m=H(e),d=()=>w("/identities").then(c=>n(c.identities)).catch(c=>r(c instanceof E?c.message:String(c)));k(()=>{d()},[]);let p=async c=>{c.preventDefault();let f=c.target,b=String(new FormData(f).get("name")??"").trim();r(void 0);try{let $=await w("/identities",{method:"POST",body:{name:b}});i($),f.reset(),d()}catch($){r($ instanceof E?$.message:String($))}},h=async c=>{u(void 0);try{await w(`/identities/${_(c)}`,{method:"DELETE"}),o?.name===c&&i(void 0),d()}catch(f){r(f instanceof E?f.message:String(f))}};return a`
    <h1>Identities</h1>
    <p class="hint" data-testid="rotate-help">To give an identity a new password, run on the node: <code>umbra device rotate <var>thing</var></code> (users: <code>umbra user rotate <var>name</var></code>);
      add <code>--grace 1h</code> to keep the old password working while devices are re-provisioned.
      Rotation is not offered here: it is done on the node's command line only (docs/security.md).</p>
    ${m?a`<form class="card row" onSubmit=${p} aria-labelledby="add-title">
          <h2 id="add-title">Add a device</h2>
          <label>Thing name <input name="name" required pattern="[a-zA-Z0-9:_\\-]{1,128}" placeholder="pdu-12" /></label>
          <button type="submit" class="primary">Add device</button>
        </form>`:null}
    ${o?a`<${un} name=${o.name} password=${o.password} onDone=${()=>i(void 0)} />`:null}
    ${s?a`<p class="error" role="alert">${s}</p>`:null}
    ${t?a`<div class="scroll" tabindex="0"><table data-testid="identities-table">
          <caption class="sr-only">Identities</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Things</th><th scope="col">Created</th><th scope="col">Password set</th><th scope="col">Status</th>${m?a`<th scope="col"><span class="sr-only">Actions</span></th>`:null}</tr></thead>
          <tbody>${t.map(c=>a`<tr key=${c.name} data-identity=${c.name}>
              <th scope="row">${c.name}</th><td>${c.role}</td><td><code>${c.things}</code></td><td>${N(c.createdAt/1e3)}</td>
              <td data-col="password-set">${c.passwordSetAt===void 0?"\u2014":N(c.passwordSetAt/1e3)}</td>
              <td data-col="status">${po(c)}</td>
              ${m?a`<td>${c.role==="device"&&c.revokedAt===null?l===c.name?a`<span class="confirm">Revoke ${c.name}?
                            <button class="danger" onClick=${()=>h(c.name)}>Yes, revoke</button>
                            <button onClick=${()=>u(void 0)}>Cancel</button></span>`:a`<button onClick=${()=>u(c.name)} aria-label=${`Revoke ${c.name}`}>Revoke</button>`:null}</td>`:null}
            </tr>`)}</tbody>
        </table></div>`:a`<p>Loading identities…</p>`}
  `}function mn({session:e}){let{data:t,error:n,reload:s}=F("/claims",5e3),[r,o]=g(),[i,l]=g({things:"",reason:"",hours:"2"}),u=H(e),m=h=>h.then(()=>{o(void 0),s()}).catch(c=>o(O(c))),d=h=>{h.preventDefault(),m(w("/claims",{method:"POST",body:{things:i.things.split(/[\s,]+/).filter(Boolean),reason:i.reason,durationSeconds:Math.round(Number(i.hours)*3600)}}))},p=h=>c=>l({...i,[h]:c.target.value});return a`<section aria-labelledby="h-claims" data-testid="claims">
    <h2 id="h-claims">Maintenance claims</h2>
    ${n||r?a`<p class="error" role="alert">${r??n}</p>`:null}
    ${t?t.claims.length===0?a`<p class="empty">No active claims.</p>`:a`<div class="scroll" tabindex="0"><table data-testid="claims-table">
            <caption class="sr-only">Active maintenance claims</caption>
            <thead><tr><th scope="col">Claim</th><th scope="col">Owner</th><th scope="col">Things and systems</th><th scope="col">Reason</th><th scope="col">Until</th>${u?a`<th scope="col"><span class="sr-only">Actions</span></th>`:null}</tr></thead>
            <tbody>${t.claims.map(h=>a`<tr key=${h.id} data-claim=${h.id}>
                <th scope="row">${h.id}</th><td>${h.owner}</td>
                <td>${[...h.things,...h.systems.map(c=>`system ${c}`)].join(", ")}</td>
                <td>${h.reason}</td><td>${N(h.until)}</td>
                ${u?a`<td><button onClick=${()=>m(w(`/claims/${_(h.id)}`,{method:"DELETE"}))}>Release</button></td>`:null}
              </tr>`)}</tbody>
          </table></div>`:null}
    ${u?a`<form class="toolbar" onSubmit=${d}>
          <label>Things to claim <input name="claim-things" value=${i.things} onInput=${p("things")} placeholder="pdu-1, rack-a-*" /></label>
          <label>Reason <input name="claim-reason" value=${i.reason} onInput=${p("reason")} /></label>
          <label>Hours <input name="claim-hours" type="number" min="0.1" step="0.1" value=${i.hours} onInput=${p("hours")} /></label>
          <button type="submit">Add claim</button>
        </form>`:null}
  </section>`}var dt=e=>e===void 0?"absent":JSON.stringify(e);function mo(e,t){let n;try{n=JSON.parse(e.body||"")}catch{return`The ${e.kind} is not valid JSON`}let s=e.target?.trim()??"";if(!s)return"Name a target";let o={target:e.targetKind==="things"?{things:s.split(/[\s,]+/).filter(Boolean)}:{[e.targetKind]:s},[e.kind==="command"?"command":"patch"]:n,confirm:t};return e.shadow?.trim()&&(o.shadow=e.shadow.trim()),e.description?.trim()&&(o.description=e.description.trim()),e.batchSize?.trim()&&(o.rollout={batchSize:Number(e.batchSize)}),o}function fn(){let[e,t]=g({targetKind:"q",kind:"patch",body:"{}",batchSize:"5"}),[n,s]=g(!1),[r,o]=g(),[i,l]=g(),[u,m]=g(!1),d=c=>f=>{t({...e,[c]:f.target.value}),o(void 0)},p=c=>{c.preventDefault();let f=mo(e,n);if(typeof f=="string")return l(f);m(!0),w("/jobs/dry-run",{method:"POST",body:f}).then(b=>{o({doc:f,result:b}),l(void 0)}).catch(b=>l(O(b))).finally(()=>m(!1))},h=()=>{r&&(m(!0),w("/jobs",{method:"POST",body:r.doc}).then(c=>{location.hash=`#/jobs/${encodeURIComponent(c.id)}`}).catch(c=>l(O(c))).finally(()=>m(!1)))};return a`<section class="panel wide" aria-labelledby="h-dry-run" data-testid="dry-run">
    <h2 id="h-dry-run">Plan a job</h2>
    <form class="job-form" onSubmit=${p}>
      <label>Target
        <select aria-label="Target kind" value=${e.targetKind} onChange=${d("targetKind")}>
          <option value="q">fleet query</option><option value="system">system</option><option value="things">things (comma-separated)</option>
        </select>
      </label>
      <label class="grow">Target value <input name="target" value=${e.target??""} onInput=${d("target")} /></label>
      <label>Write
        <select aria-label="What to write" value=${e.kind} onChange=${d("kind")}><option value="patch">desired patch</option><option value="command">one-shot command</option></select>
      </label>
      <label class="grow">Desired JSON <textarea name="body" rows="3" spellcheck=${!1} value=${e.body} onInput=${d("body")}></textarea></label>
      <label>Named shadow <input name="shadow" value=${e.shadow??""} onInput=${d("shadow")} placeholder="classic" /></label>
      <label>Batch size <input name="batchSize" type="number" min="1" value=${e.batchSize} onInput=${d("batchSize")} /></label>
      <label class="grow">Description <input name="description" value=${e.description??""} onInput=${d("description")} /></label>
      <label class="check"><input type="checkbox" checked=${n} onChange=${c=>{s(c.target.checked),o(void 0)}} /> Confirm destructive values</label>
      <button type="submit" disabled=${u}>Dry run</button>
    </form>
    ${i?a`<p class="error" role="alert">${i}</p>`:null}
    ${r?a`<${fo} result=${r.result} busy=${u} onStart=${h} />`:null}
  </section>`}function fo({result:e,busy:t,onStart:n}){let s=Object.entries(e.refused);return a`<div data-testid="plan">
    <p role="status">
      ${e.things} things: <strong>${e.wouldChange}</strong> would change, ${e.wouldWait} already desired (waiting for the device), ${e.noop} nothing to do${s.length>0?`, refused: ${s.map(([r,o])=>`${o} ${r}`).join(", ")}`:""}.
    </p>
    ${e.confirmRequired?a`<p class="error">Destructive values (${e.destructive.join(", ")}): tick “Confirm destructive values” to run this job.</p>`:null}
    <div class="scroll" tabindex="0"><table data-testid="plan-table">
      <caption class="sr-only">What the job would do to each thing</caption>
      <thead><tr><th scope="col">Thing</th><th scope="col">Outcome</th><th scope="col">Leaves: desired now → written (reported now)</th></tr></thead>
      <tbody>${e.plans.map(r=>a`<tr key=${r.thing} data-thing=${r.thing}>
          <th scope="row">${r.thing}</th>
          <td data-col="outcome" class="wrap">${r.refused?a`<span class="badge bad">refused: ${r.refused.code}</span> ${r.refused.reason}`:r.changes.length>0?a`<span class="badge warn">would write</span>`:r.pending.length>0?"waiting for the device":a`<span class="badge ok">no change</span>`}</td>
          <td><ul class="ops">${[...r.changes,...r.pending].map(o=>a`<li><code>${o.path}</code>: ${dt(o.desired)} → ${dt(o.to)} (reported ${dt(o.reported)})</li>`)}</ul></td>
        </tr>`)}</tbody>
    </table></div>
    <button class="primary" disabled=${t||e.confirmRequired||e.things===0} onClick=${n}>Start this job</button>
  </div>`}var ut=["pending","skipped","writing","waiting","converged","failed","cancelled"];var pt=e=>e.state!=="running"&&e.state!=="paused";function Ne(e){return e.q!==void 0?`query ${e.q}`:e.system!==void 0?`system ${e.system}`:`things ${(e.things??[]).join(", ")}`}function be(e){return e==="succeeded"||e==="converged"?"badge ok":e==="failed"||e==="aborted"?"badge bad":e==="running"||e==="waiting"||e==="writing"?"badge warn":"badge off"}function hn({id:e,session:t}){let[n,s]=g(),[r,o]=g([]),[i,l]=g(),[u,m]=g(!1),[d,p]=g(!1),h=`/jobs/${_(e)}`;k(()=>{let f,b=!1;return w(h).then($=>{b||(s($),o($.things),!pt($)&&(f=new EventSource(`${h}/stream`),f.addEventListener("open",()=>m(!0)),f.addEventListener("job",v=>s(JSON.parse(v.data))),f.addEventListener("thing",v=>{let y=JSON.parse(v.data);o(x=>{let C=x.findIndex(G=>G.thing===y.thing);if(C<0)return[...x,y];let z=x.slice();return z[C]=y,z})}),f.addEventListener("end",v=>{s(JSON.parse(v.data)),f?.close(),m(!1)}),f.onerror=()=>m(!1)))}).catch($=>!b&&l(O($))),()=>{b=!0,f?.close()}},[e]);let c=f=>{p(!0),w(`${h}/${f}`,{method:"POST"}).then(b=>{s($=>({...$,...b})),l(void 0)}).catch(b=>l(O(b))).finally(()=>p(!1))};return a`
    <p class="crumbs"><a href="#/jobs">Jobs</a> / ${e}</p>
    <h1>Job ${e}</h1>
    ${i?a`<p class="error" role="alert">${i}</p>`:null}
    ${n?a`
      <p class="meta" data-testid="job-state">
        <span class=${be(n.state)}>${n.state}</span>
        ${u?a` <span class="badge ok">live</span>`:null}
        ${n.reason?` \u2014 ${n.reason}`:""}
      </p>
      <dl class="facts">
        <dt>Target</dt><dd>${Ne(n.target)}${n.shadow?` (shadow ${n.shadow})`:""}</dd>
        <dt>${n.command?"Command":"Patch"}</dt><dd><code>${J(n.command??n.patch)}</code></dd>
        <dt>Created</dt><dd>${N(n.createdAt)} by ${n.createdBy}</dd>
        <dt>Batch</dt><dd>${n.batch+1}</dd>
        ${n.description?a`<dt>Description</dt><dd>${n.description}</dd>`:null}
      </dl>
      <ul class="counts" aria-label="Progress" data-testid="job-counts">
        <li>total <strong>${n.counts.total}</strong></li>
        ${ut.map(f=>a`<li data-count=${f}>${f} <strong>${n.counts[f]??0}</strong></li>`)}
      </ul>
      ${H(t)&&!pt(n)?a`<div class="toolbar">
            ${n.state==="running"?a`<button disabled=${d} onClick=${()=>c("pause")}>Pause</button>`:a`<button disabled=${d} onClick=${()=>c("resume")}>Resume</button>`}
            <button class="danger" disabled=${d} onClick=${()=>confirm(`Cancel job ${e}? Things not started yet will not be touched.`)&&c("cancel")}>Cancel job</button>
          </div>`:null}
      <div class="scroll" tabindex="0"><table data-testid="job-things">
        <caption class="sr-only">Things of this job</caption>
        <thead><tr><th scope="col">Thing</th><th scope="col">Status</th><th scope="col">Written</th><th scope="col">Reason</th><th scope="col">Started</th><th scope="col">Finished</th></tr></thead>
        <tbody>${r.map(f=>a`<tr key=${f.thing} data-thing=${f.thing}>
            <th scope="row"><a href=${U(f.thing)}>${f.thing}</a></th>
            <td data-col="status"><span class=${be(f.status)}>${f.status}</span></td>
            <td>${f.written?"yes":"no"}</td>
            <td>${f.reason??"\u2014"}</td>
            <td>${f.startedAt?N(f.startedAt/1e3):"\u2014"}</td>
            <td>${f.finishedAt?N(f.finishedAt/1e3):"\u2014"}</td>
          </tr>`)}</tbody>
      </table></div>`:i?null:a`<p>Loading job…</p>`}
  `}var ho=3e3,mt=e=>`#/jobs/${encodeURIComponent(e)}`;function gn({route:e,session:t}){let n=e.args[0];return n?a`<${hn} key=${n} id=${n} session=${t} />`:a`<${go} session=${t} />`}function go({session:e}){let{data:t,error:n}=F("/jobs",ho),s=t?[...t.jobs].sort((r,o)=>o.createdAt-r.createdAt):void 0;return a`
    <h1>Jobs</h1>
    ${n?a`<p class="error" role="alert">${n}</p>`:null}
    ${s?s.length===0?a`<p class="empty">No jobs yet.</p>`:a`<div class="scroll" tabindex="0"><table data-testid="jobs-table">
            <caption class="sr-only">Jobs, newest first</caption>
            <thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col">Target</th><th scope="col">Progress</th><th scope="col">By</th><th scope="col">Created</th><th scope="col">Description</th></tr></thead>
            <tbody>${s.map(r=>a`<tr key=${r.id} data-job=${r.id}>
                <th scope="row"><a href=${mt(r.id)}>${r.id}</a></th>
                <td><span class=${be(r.state)}>${r.state}</span></td>
                <td>${Ne(r.target)}</td>
                <td>${r.counts.converged??0} converged, ${r.counts.failed??0} failed, ${r.counts.skipped??0} skipped of ${r.counts.total}</td>
                <td>${r.createdBy}</td>
                <td>${N(r.createdAt)}</td>
                <td>${r.description??"\u2014"}</td>
              </tr>`)}</tbody>
          </table></div>`:n?null:a`<p>Loading jobs…</p>`}
    ${H(e)?a`<${fn} />`:null}
    <${mn} session=${e} />
  `}var bo=["24h","7d","30d"];function bn({route:e}){let t=e.args[0]??"",n=e.query.get("since")??"7d",{data:s,error:r}=F(`/systems/${_(t)}/review?since=${_(n)}`,1e4);return a`
    <p class="crumbs"><a href="#/systems">Systems</a> / <a href=${`#/systems/${_(t)}`}>${t}</a> / review</p>
    <h1>Review of ${t}</h1>
    <nav class="tabs" aria-label="Period">
      ${bo.map(o=>a`<a href=${`#/review/${_(t)}?since=${o}`} aria-current=${o===n?"page":void 0}>last ${o}</a>`)}
    </nav>
    ${r?a`<p class="error" role="alert">${r}</p>`:null}
    ${s?a`
      <p class="meta" data-testid="review-summary">From ${N(s.since/1e3)} to ${N(s.until/1e3)}: <strong>${s.raised.raises}</strong> raises of ${s.raised.alarms} alarms.</p>
      <h2>Still open (${s.stillOpen.length})</h2>
      ${s.stillOpen.length===0?a`<p class="empty">None.</p>`:a`<${rt} alarms=${s.stillOpen} editable=${!1} />`}
      <h2>Never acknowledged (${s.neverAcknowledged.length})</h2>
      ${s.neverAcknowledged.length===0?a`<p class="empty">None.</p>`:a`<ul>${s.neverAcknowledged.map(o=>a`<li>${o.id}: ${o.summary}</li>`)}</ul>`}
      <h2>Most flapping</h2>
      ${s.mostFlapping.length===0?a`<p class="empty">None raised more than once.</p>`:a`<ul>${s.mostFlapping.map(o=>a`<li>${o.id}: raised ${o.raises} times</li>`)}</ul>`}
      <h2>Longest not converged</h2>
      ${s.longestNotConverged.length===0?a`<p class="empty">Every thing converged.</p>`:a`<ul>${s.longestNotConverged.map(o=>a`<li><a href=${U(o.thing)}>${o.thing}</a>: desired pending for ${le(o.pendingSeconds*1e3)}</li>`)}</ul>`}
      <h2>Jobs</h2>
      ${s.jobs===null?a`<p class="empty">Jobs are not enabled on this node.</p>`:s.jobs.length===0?a`<p class="empty">No jobs touched this system.</p>`:a`<ul>${s.jobs.map(o=>a`<li><a href=${mt(o.id)}>${o.id}</a> (${o.state}) by ${o.creator}: ${o.written} of ${o.things} things written</li>`)}</ul>`}`:r?null:a`<p>Loading review…</p>`}
  `}var $n=2e3;function _n(e){let[t,n]=g(),[s,r]=g();return k(()=>{let o=!1,i,l=()=>w("/peers").then(u=>{o||(n(u),r(void 0))}).catch(u=>!o&&r(u instanceof E?u.message:String(u))).finally(()=>{o||(i=setTimeout(l,$n))});return l(),()=>{o=!0,clearTimeout(i)}},[]),a`
    <h1>Sites</h1>
    ${t?a`<p class="meta">This node is site <strong>${t.site}</strong>. Refreshed every ${$n/1e3} s.</p>`:null}
    ${s?a`<p class="error" role="alert">${s}</p>`:null}
    ${t?t.peers.length===0?a`<p class="empty">No relay peers: this node neither dials a parent nor has children connected (docs/relay.md).</p>`:a`<div class="scroll" tabindex="0"><table data-testid="peers-table">
            <caption class="sr-only">Relay peers</caption>
            <thead><tr>
              <th scope="col">Peer</th><th scope="col">Side</th><th scope="col">Link</th><th scope="col">Last contact</th>
              <th scope="col">Lag</th><th scope="col">Pending changes</th><th scope="col">Pending bytes</th>
              <th scope="col">Sent</th><th scope="col">Received</th><th scope="col">Retried frames</th><th scope="col">Denied</th><th scope="col">Epoch splits</th>
            </tr></thead>
            <tbody>${t.peers.map(o=>a`<tr key=${o.peer}>
                <th scope="row">${o.peer}${o.site&&o.site!==o.peer?` (${o.site})`:""}</th>
                <td>${o.side}</td>
                <td>${o.connected?a`<span class="badge ok">connected</span>`:a`<span class="badge off">down</span>`}</td>
                <td>${o.lastContact===null?"never":Z(o.lastContact/1e3)}</td>
                <td>${le(o.lagMs)}</td>
                <td>${o.pendingChanges}</td>
                <td>${Ae(o.pendingBytes)}</td>
                <td>${Ae(o.bytesSent)} · ${o.changesSent} changes</td>
                <td>${Ae(o.bytesReceived)} · ${o.changesReceived} changes</td>
                <td>${o.framesRetried}</td>
                <td>${o.denied}</td>
                <td>${o.epochSplits>0?a`<span class="badge off">${o.epochSplits}</span>`:"0"}</td>
              </tr>`)}</tbody>
          </table></div>
          ${$o(t.peers)}`:a`<p>Loading peers…</p>`}
  `}function $o(e){let t=e.filter(n=>n.epochSplits>0);return t.length===0?null:a`<div class="error" role="alert" data-testid="epoch-splits">${t.map(n=>a`<p key=${n.peer}><strong>${n.peer}</strong>: ${_o(n.splitShadows)} with two bases for one epoch: two sites cut them; set <code>epochShared: false</code> on all but one of the parents that share them.</p>`)}</div>`}function _o(e){let t=e.slice(0,5).join(", ")+(e.length>5?", \u2026":"");return`${e.length} ${e.length===1?"shadow":"shadows"} (${t})`}var Oe=5e3,yo=8,yn=e=>`#/systems/${_(e)}`,vo=e=>`#/?q=${_(`systems:${/^[A-Za-z0-9_.$/+-]+$/.test(e)?e:JSON.stringify(e)}`)}`;function vn({route:e}){let t=e.args[0];return t?a`<${ko} key=${t} name=${t} />`:a`<${wo} />`}function wo(){let e=F("/systems",Oe),[t,n]=g(),[s,r]=g();k(()=>{if(!e.data)return;let i=e.data.results,l=new Set(i.flatMap(m=>m.systems)),u=i.filter(m=>!l.has(m.name));Promise.all(u.map(m=>w(`/systems/${_(m.name)}/rollup?depth=${yo}`))).then(m=>{n(m),r(void 0)}).catch(m=>r(O(m)))},[e.data]);let o=e.error??s;return a`
    <h1>Systems</h1>
    <p class="meta">Things, connected, not converged, conflicts, unreachable and open alarms below each system (a thing counts once). Refreshed every ${Oe/1e3} s.</p>
    ${o?a`<p class="error" role="alert">${o}</p>`:null}
    ${t===void 0?o?null:a`<p>Loading systems…</p>`:t.length===0?a`<p class="empty">No systems yet: <code>umbra systems set &lt;name&gt; …</code> (docs/fleet.md).</p>`:a`<${wn} rows=${t.flatMap(i=>ft(i,0))} caption="Systems and their roll-ups" />`}
  `}function ft(e,t){let n="systems"in e?e.systems:[];return[{r:e,level:t},...n.flatMap(s=>ft(s,t+1))]}function wn({rows:e,caption:t}){return a`<div class="scroll" tabindex="0"><table data-testid="systems-table">
    <caption class="sr-only">${t}</caption>
    <thead><tr>
      <th scope="col">System</th><th scope="col">Things</th><th scope="col">Connected</th><th scope="col">Not converged</th>
      <th scope="col">Oldest delta</th><th scope="col">Conflicts</th><th scope="col">Unreachable</th><th scope="col">Open alarms</th>
    </tr></thead>
    <tbody>${e.map(({r:n,level:s})=>{let r="things"in n?n:void 0;return a`<tr key=${`${s}/${n.name}`} data-system=${n.name}>
        <th scope="row" style=${`padding-left: ${.5+s*1.25}rem`}><a href=${yn(n.name)}>${s>0?"\u2514 ":""}${n.name}</a></th>
        ${r?a`<td data-col="things">${r.things}</td><td data-col="connected">${r.connected}</td>
              <td data-col="notConverged">${r.notConverged>0?a`<span class="badge warn">${r.notConverged}</span>`:0}</td>
              <td>${r.oldestDeltaSeconds>0?le(r.oldestDeltaSeconds*1e3):"\u2014"}</td>
              <td data-col="conflicts">${r.conflicts>0?a`<span class="badge bad">${r.conflicts}</span>`:0}</td>
              <td data-col="unreachable">${r.unreachable>0?a`<span class="badge bad">${r.unreachable}</span>`:0}</td>
              <td data-col="alarms">${r.alarms?r.alarms.open>0?a`<a class="badge bad" href=${`#/alarms?system=${_(n.name)}`}>${r.alarms.open}</a>`:0:"\u2014"}</td>`:a`<td colspan="7">deeper than shown: open the system</td>`}
      </tr>`})}</tbody>
  </table></div>`}function ko({name:e}){let t=F(`/systems/${_(e)}`,Oe),n=F(`/systems/${_(e)}/rollup?depth=1`,Oe),s=t.error??n.error;return a`
    <p class="crumbs"><a href="#/systems">Systems</a> / ${e}</p>
    <h1>${e}</h1>
    ${s?a`<p class="error" role="alert">${s}</p>`:null}
    ${t.data?.description?a`<p>${t.data.description}</p>`:null}
    <p class="links">
      <a href=${vo(e)}>Its things in the fleet</a> ·
      <a href=${`#/alarms?system=${_(e)}`}>Its alarms</a> ·
      <a href=${`#/review/${_(e)}`}>Review</a>
    </p>
    ${n.data?a`<${wn} rows=${ft(n.data,0)} caption=${`Roll-up of ${e} and its subsystems`} />`:s?null:a`<p>Loading…</p>`}
    ${t.data?a`<dl class="facts">
          <dt>Query</dt><dd>${t.data.query?a`<code>${t.data.query}</code>`:"\u2014"}</dd>
          <dt>Things named</dt><dd>${t.data.things.length>0?t.data.things.join(", "):"\u2014"}</dd>
          <dt>Subsystems</dt><dd>${t.data.systems.length>0?t.data.systems.map((r,o)=>a`${o>0?", ":""}<a href=${yn(r)}>${r}</a>`):"\u2014"}</dd>
        </dl>`:null}
  `}function kn({thing:e,shadow:t,doc:n}){let[s,r]=g(()=>J(n?.state.desired??{})),[o,i]=g(n?.version),[l,u]=g(!1),[m,d]=g(!0),[p,h]=g();return k(()=>{l||(r(J(n?.state.desired??{})),i(n?.version))},[n,l]),a`<form class="card editor" onSubmit=${async f=>{f.preventDefault();let b;try{b=JSON.parse(s)}catch(v){h({kind:"error",text:`Not valid JSON: ${v.message}`});return}let $={state:{desired:b}};m&&o!==void 0&&($.version=o);try{let v=await w(`/things/${_(e)}/shadow${t?`?name=${_(t)}`:""}`,{method:"POST",body:$});h({kind:"ok",text:`Accepted: version ${v.version}`}),u(!1)}catch(v){v instanceof E&&v.status===409?h({kind:"conflict",text:`Version conflict (409): you edited version ${o}, but the shadow is now at version ${n?.version??"?"}. Nothing was changed. Reload the current desired state and apply your edit again.`}):h({kind:"error",text:v instanceof E?`${v.status}: ${v.message}`:String(v)})}}} aria-labelledby="edit-title" data-testid="desired-editor">
    <h2 id="edit-title">Edit desired</h2>
    <label for="desired-json"><span>Desired state (JSON, merged: <code>null</code> deletes a key)</span></label>
    <textarea id="desired-json" rows="8" spellcheck="false" value=${s}
      onInput=${f=>{r(f.target.value),u(!0)}}></textarea>
    <div class="row">
      <label class="inline"><input type="checkbox" checked=${m} onChange=${f=>d(f.target.checked)} />
        Only if still at version ${o??"\u2014"}</label>
      <button type="submit" class="primary">Save desired</button>
      ${l?a`<button type="button" onClick=${()=>{u(!1),h(void 0)}}>Reload current</button>`:null}
    </div>
    ${p?a`<p class=${p.kind==="ok"?"ok":"error"} role=${p.kind==="ok"?"status":"alert"} data-testid="save-status">${p.text}</p>`:null}
  </form>`}var $e=(e,t)=>[e,...t].join(".");function Sn(e){let t=[];for(let n of["desired","reported"])for(let s of e[n]??[])t.push(s.op==="set"?`${$e(n,s.path)} = ${JSON.stringify(s.value)}`:`${$e(n,s.path)} deleted`);return t}function Ie(e){return e.identity?`${e.identity.name} (${e.identity.role})`:e.kind==="merge"?"merged":"\u2014"}function je(e){return`${e.site??"\u2014"}${e.via?` via ${e.via}`:""}`}function Me(e){return e.replace("T"," ").replace(/\.\d+Z$/,"Z")}function xn({thing:e,shadow:t,version:n}){let s=t?`?name=${_(t)}`:"",{data:r,error:o,reload:i}=F(`/things/${_(e)}/shadow/blame${s}`),l=Q(n);if(k(()=>{l.current!==n&&i(),l.current=n},[n]),o)return a`<p class="error" role="alert">${o}</p>`;if(!r)return a`<p>Loading blame…</p>`;let u=[...(r.desired??[]).map(m=>({section:"desired",l:m})),...(r.reported??[]).map(m=>({section:"reported",l:m}))];return u.length===0?a`<p class="empty">No leaves.</p>`:a`<div class="scroll" tabindex="0"><table data-testid="blame-table">
    <caption class="sr-only">Who last wrote each leaf</caption>
    <thead><tr><th scope="col">Leaf</th><th scope="col">Value</th><th scope="col">Version</th><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Site</th><th scope="col">Client token</th></tr></thead>
    <tbody>${u.map(({section:m,l:d})=>{let p=[m,...d.path].join("."),h=d.change;return a`<tr key=${p} data-leaf=${p}>
        <th scope="row"><code>${p}</code></th>
        <td>${JSON.stringify(d.value)}</td>
        ${h?a`<td>${h.version}</td><td>${Me(h.time)}</td><td>${Ie(h)}</td><td>${je(h)}</td><td><code>${h.clientToken??"\u2014"}</code></td>`:a`<td colspan="5">${d.pruned?"pruned by retention":"\u2014"}</td>`}
      </tr>`})}</tbody>
  </table></div>`}var Tn=e=>e===void 0?a`<span class="empty">absent</span>`:JSON.stringify(e);function Cn(e){let{thing:t,shadow:n,from:s,to:r,onClose:o}=e,i=n?`&name=${_(n)}`:"",{data:l,error:u}=F(`/things/${_(t)}/shadow/diff?from=${_(s)}&to=${_(r)}${i}`),m=l?[...l.desired.map(d=>({leaf:$e("desired",d.path),c:d})),...l.reported.map(d=>({leaf:$e("reported",d.path),c:d}))]:[];return a`<section class="panel wide" aria-labelledby="h-diff" data-testid="diff">
    <h3 id="h-diff">Diff ${l?`v${l.from.version} \u2192 v${l.to.version}`:`${s} \u2192 ${r}`}</h3>
    ${u?a`<p class="error" role="alert">${u}</p>`:null}
    ${l?m.length===0?a`<p class="empty">No leaf differs.</p>`:a`<table><caption class="sr-only">Leaves that differ</caption>
            <thead><tr><th scope="col">Leaf</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
            <tbody>${m.map(({leaf:d,c:p})=>a`<tr key=${d}><th scope="row"><code>${d}</code></th><td class="before">${Tn(p.before)}</td><td class="after">${Tn(p.after)}</td></tr>`)}</tbody>
          </table>`:u?null:a`<p>Loading…</p>`}
    <button onClick=${o}>Close</button>
  </section>`}var Pn=20;function En({thing:e,shadow:t,version:n}){let[s,r]=g(),[o,i]=g(),[l,u]=g(),[m,d]=g(),[p,h]=g(),[c,f]=g("timeline"),b=t?`&name=${_(t)}`:"",$=`/things/${_(e)}/shadow`;k(()=>{let y=!1;return w(`${$}/history?limit=${Pn}${b}`).then(x=>{y||(r(x.records),i(x.nextCursor),u(void 0))}).catch(x=>!y&&u(O(x))),()=>{y=!0}},[e,t,n]);let v=()=>o&&w(`${$}/history?limit=${Pn}${b}&cursor=${_(o)}`).then(y=>{r(x=>[...x??[],...y.records]),i(y.nextCursor)}).catch(y=>u(O(y)));return a`<section class="history" aria-labelledby="h-history" data-testid="history">
    <h2 id="h-history">History</h2>
    <nav class="tabs" aria-label="History views">
      <button aria-pressed=${c==="timeline"} onClick=${()=>f("timeline")}>Timeline</button>
      <button aria-pressed=${c==="blame"} onClick=${()=>f("blame")}>Blame</button>
    </nav>
    ${l?a`<p class="error" role="alert">${l}</p>`:null}
    ${c==="blame"?a`<${xn} thing=${e} shadow=${t} version=${n} />`:null}
    ${c==="timeline"&&s===void 0&&!l?a`<p>Loading history…</p>`:null}
    ${c==="timeline"&&s?a`
          <${xo} key=${`${e}/${t}`} latest=${s[0]?.version} onDiff=${(y,x)=>d({from:y,to:x})} />
          ${m?a`<${Cn} thing=${e} shadow=${t} from=${m.from} to=${m.to} onClose=${()=>d(void 0)} />`:null}
          ${p!==void 0?a`<${To} thing=${e} shadow=${t} version=${p} onClose=${()=>h(void 0)} />`:null}
          ${s.length===0?a`<p class="empty">No change recorded.</p>`:a`<${So} records=${s} onDiff=${d} onView=${h} />`}
          ${o?a`<button onClick=${v}>Older changes</button>`:null}`:null}
  </section>`}function So(e){let{records:t,onDiff:n,onView:s}=e;return a`<div class="scroll" tabindex="0"><table data-testid="history-table">
    <caption class="sr-only">Changes of this shadow, newest first</caption>
    <thead><tr>
      <th scope="col">Version</th><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Site</th>
      <th scope="col">Client token</th><th scope="col">What changed</th><th scope="col"><span class="sr-only">Actions</span></th>
    </tr></thead>
    <tbody>${t.map((r,o)=>{let i=t[o+1]?.version??(r.version>1?r.version-1:void 0);return a`<tr key=${r.version} data-version=${r.version}>
        <th scope="row">${r.version}</th>
        <td>${Me(r.time)}</td>
        <td>${Ie(r)}</td>
        <td>${je(r)}</td>
        <td><code>${r.clientToken??"\u2014"}</code></td>
        <td><ul class="ops">${Sn(r).map(l=>a`<li>${l}</li>`)}${r.kind==="delete"?a`<li>shadow deleted</li>`:null}</ul></td>
        <td class="actions">
          <button onClick=${()=>s(r.version)}>View v${r.version}</button>
          ${i!==void 0?a`<button onClick=${()=>n({from:String(i),to:String(r.version)})}>Diff v${i}…v${r.version}</button>`:null}
        </td>
      </tr>`})}</tbody>
  </table></div>`}function xo({latest:e,onDiff:t}){let[n,s]=g(e&&e>1?String(e-1):"1"),[r,o]=g(e?String(e):"1");return a`<form class="toolbar" onSubmit=${i=>{i.preventDefault(),t(n.trim(),r.trim())}}>
    <label>Compare version or time <input name="from" value=${n} size="22" onInput=${i=>s(i.target.value)} /></label>
    <label>with <input name="to" value=${r} size="22" onInput=${i=>o(i.target.value)} /></label>
    <button type="submit">Show diff</button>
  </form>`}function To(e){let{thing:t,shadow:n,version:s,onClose:r}=e,[o,i]=g(),[l,u]=g();return k(()=>{i(void 0),w(`/things/${_(t)}/shadow?at=${s}${n?`&name=${_(n)}`:""}`).then(m=>{i(m),u(void 0)}).catch(m=>u(O(m)))},[t,n,s]),a`<section class="panel wide" aria-labelledby="h-aswas" data-testid="as-it-was">
    <h3 id="h-aswas">The shadow as it was at version ${s}</h3>
    ${l?a`<p class="error" role="alert">${l}</p>`:null}
    ${o?a`<div class="panels">
          <div><h4>Desired</h4><pre tabindex="0">${J(o.state.desired)||"empty"}</pre></div>
          <div><h4>Reported</h4><pre tabindex="0">${J(o.state.reported)||"empty"}</pre></div>
          <div><h4>Delta</h4><pre tabindex="0">${J(o.state.delta)||"in sync"}</pre></div>
        </div>`:l?null:a`<p>Loading…</p>`}
    <button onClick=${r}>Close</button>
  </section>`}var _e=[{path:["type"],label:"Type"},{path:["vendor"],label:"Vendor"},{path:["model"],label:"Model"},{path:["serial"],label:"Serial"},{path:["owner"],label:"Owner"},{path:["location","site"],label:"Site"},{path:["location","room"],label:"Room"},{path:["location","row"],label:"Row"},{path:["location","rack"],label:"Rack"},{path:["location","unit"],label:"Rack unit",numeric:!0}];function ce(e,t){let n=e;for(let s of t){if(n===null||typeof n!="object")return;n=n[s]}return n}function ht(e,t){return ce(e,t)==="device"?"device":"operator"}function Rn(e){let t=[],n=new Set,s=i=>{let l=i.join(".");if(n.has(l))return;let u=ce(e.attributes,i);u===void 0||u!==null&&typeof u=="object"||(n.add(l),t.push({key:l,path:i,value:u,origin:ht(e.origins,i)}))};for(let i of _e)s(i.path);let r=e.attributes.labels;if(r&&typeof r=="object")for(let i of Object.keys(r).sort())s(["labels",i]);let o=(i,l)=>{if(i===null||typeof i!="object")return s(l);for(let[u,m]of Object.entries(i))o(m,[...l,u])};return o(e.attributes,[]),t}function gt(e){let t={};for(let s of _e){let r=ce(e,s.path);t[s.path.join(".")]=r==null?"":String(r)}let n=Object.entries(e.labels??{}).sort(([s],[r])=>s<r?-1:s>r?1:0).map(([s,r])=>({name:s,value:String(r)}));return{fields:t,labels:n}}function Fe(e,t,n){let s=e;for(let r of t.slice(0,-1))(typeof s[r]!="object"||s[r]===null)&&(s[r]={}),s=s[r];s[t[t.length-1]]=n}function An(e,t){let n={};for(let o of _e){let i=ce(e,o.path),l=(t.fields[o.path.join(".")]??"").trim();if(l===""){i!=null&&Fe(n,o.path,null);continue}let u=o.numeric&&/^-?\d+$/.test(l)?Number(l):l;u!==i&&Fe(n,o.path,u)}let s=e.labels??{},r=new Set;for(let{name:o,value:i}of t.labels){let l=o.trim();l===""&&i===""||(r.add(l),s[l]!==i&&Fe(n,["labels",l],i))}for(let o of Object.keys(s))r.has(o)||Fe(n,["labels",o],null);return n}function Co(e,t){return e instanceof E?e.status===409?`Version conflict (409): you edited version ${t}; ${e.message}. Nothing was changed. Reload the current attributes and apply your edit again.`:e.status===403?`Refused (403): ${e.message}`:e.status===400?`Not accepted (400): ${e.message}`:e.status===0?e.message:`${e.message} (${e.status})`:String(e)}function Ln(e){let{thing:t,doc:n,onSaved:s}=e,r=n?.attributes??{},[o,i]=g(()=>gt(r)),[l,u]=g(n?.version??0),[m,d]=g(!1),[p,h]=g(!0),[c,f]=g(!1),[b,$]=g(),v=Q(!1),y=T=>{i(gt(T?.attributes??{})),u(T?.version??0)};k(()=>{v.current||y(n)},[n]);let x=T=>{v.current=T,d(T)},C=T=>{i(T),x(!0)},z=(T,R)=>C({...o,fields:{...o.fields,[T]:R}}),G=(T,R)=>C({...o,labels:o.labels.map((D,I)=>I===T?R:D)});return a`<form class="editor" onSubmit=${async T=>{T.preventDefault();let R=An(r,o);if(Object.keys(R).length===0){$({kind:"ok",text:"Nothing changed."});return}f(!0);try{let D=p?`?version=${l}`:"",I=await w(`/things/${_(t)}/attributes${D}`,{method:"PATCH",body:R});$({kind:"ok",text:`Saved: version ${I.version}`}),x(!1),s(I)}catch(D){$({kind:"error",text:Co(D,l)})}finally{f(!1)}}} aria-labelledby="h-inventory-edit" data-testid="inventory-editor">
    <h3 id="h-inventory-edit">Edit inventory</h3>
    <p class="hint">An emptied field or a removed label deletes the key.</p>
    <div class="inventory-fields">
      ${_e.map(T=>{let R=T.path.join("."),D=n&&ce(r,T.path)!==void 0&&ht(n.origins,T.path)==="device";return a`<label>
          <span>${T.label}${D?a` <span class="hint">(filled by device)</span>`:null}</span>
          <input name=${R} inputmode=${T.numeric?"numeric":void 0} value=${o.fields[R]??""}
            onInput=${I=>z(R,I.target.value)} />
        </label>`})}
    </div>
    <fieldset>
      <legend>Labels</legend>
      ${o.labels.map((T,R)=>a`<div class="row" key=${R} data-label-row=${R}>
          <label>Label name <input value=${T.name} aria-label=${`Label name ${R+1}`}
            onInput=${D=>G(R,{...T,name:D.target.value})} /></label>
          <label>Value <input value=${T.value} aria-label=${`Value ${R+1}`}
            onInput=${D=>G(R,{...T,value:D.target.value})} /></label>
          <button type="button" aria-label=${`Remove label ${T.name||R+1}`}
            onClick=${()=>C({...o,labels:o.labels.filter((D,I)=>I!==R)})}>Remove</button>
        </div>`)}
      <button type="button" onClick=${()=>C({...o,labels:[...o.labels,{name:"",value:""}]})}>Add label</button>
    </fieldset>
    <div class="row">
      <label class="inline"><input type="checkbox" checked=${p} onChange=${T=>h(T.target.checked)} />
        Only if still at version ${l}</label>
      <button type="submit" class="primary" disabled=${c}>Save inventory</button>
      ${m?a`<button type="button" onClick=${()=>{x(!1),y(n),$(void 0)}}>Reload current</button>`:null}
    </div>
    ${b?a`<p class=${b.kind} role=${b.kind==="ok"?"status":"alert"} data-testid="inventory-status">${b.text}</p>`:null}
  </form>`}function Po(e){return e==="device"?a`<span class="badge info" data-origin="device">filled by device</span>`:a`<span class="badge" data-origin="operator">set by operator</span>`}function Dn({thing:e,editable:t,focus:n}){let[s,r]=g(),[o,i]=g(),[l,u]=g(0);k(()=>{let d=!1;return w(`/things/${_(e)}/attributes`).then(p=>{d||(r(h=>h&&h.version>p.version?h:p),i(void 0))}).catch(p=>{d||(p instanceof E&&p.status===404?(r(h=>h??null),i(void 0)):i(O(p)))}),()=>{d=!0}},[e,l]),Le(`thingName:"${e}"`,{match:()=>u(d=>d+1),unmatch:()=>{}}),k(()=>{n&&s!==void 0&&document.getElementById("inventory")?.scrollIntoView()},[n,s===void 0]);let m=s?Rn(s):[];return a`<section class="card" id="inventory" aria-labelledby="h-inventory" data-testid="inventory">
    <h2 id="h-inventory">Inventory</h2>
    ${o?a`<p class="error" role="alert">${o}</p>`:null}
    ${s===void 0&&!o?a`<p>Loading attributes…</p>`:null}
    ${s?a`<p class="meta" data-testid="inventory-version">Version <strong>${s.version}</strong>, changed ${N(s.updatedAt)}</p>`:null}
    ${s===null?a`<p class="empty">No attributes yet.</p>`:null}
    ${m.length>0?a`<table data-testid="inventory-table">
          <caption class="sr-only">Attributes of ${e}, with who set each</caption>
          <thead><tr><th scope="col">Key</th><th scope="col">Value</th><th scope="col">Set by</th></tr></thead>
          <tbody>${m.map(d=>a`<tr key=${d.key} data-key=${d.key}>
              <th scope="row"><code>${d.key}</code></th><td>${String(d.value)}</td><td>${Po(d.origin)}</td>
            </tr>`)}</tbody>
        </table>`:null}
    <p class="hint">A device, its bridge or its host agent fills what it knows; a key an operator set is
      never overwritten by a device.${t?" Saving a key here makes it the operator's.":""}</p>
    ${t&&s!==void 0?a`<${Ln} key=${e} thing=${e} doc=${s} onSaved=${d=>r(d)} />`:null}
  </section>`}var de=720,X=200,L={left:56,right:12,top:10,bottom:24};function On({points:e,from:t,to:n,label:s,onSelect:r}){let[o,i]=g();if(e.length===0)return a`<p class="empty">No samples in this range.</p>`;let l=e.map(b=>b[1]),u=Math.min(...l),m=Math.max(...l);u===m&&(u-=1,m+=1);let d=b=>L.left+(b-t)/(n-t)*(de-L.left-L.right),p=b=>L.top+(1-(b-u)/(m-u))*(X-L.top-L.bottom),h=e.map((b,$)=>`${$===0?"M":"L"}${d(b[0]).toFixed(1)},${p(b[1]).toFixed(1)}`).join(""),c=(b,$)=>{let v=$.getBoundingClientRect(),y=(b-v.left)/v.width*de;return t+(y-L.left)/(de-L.left-L.right)*(n-t)},f=e[e.length-1];return a`<figure class="chart">
    <svg viewBox=${`0 0 ${de} ${X}`} role="img" aria-label=${`${s}: ${e.length} points, last ${f[1]}`}
      onPointerDown=${b=>{let $=c(b.clientX,b.currentTarget);i({a:$,b:$})}}
      onPointerMove=${b=>o&&i({a:o.a,b:c(b.clientX,b.currentTarget)})}
      onPointerUp=${()=>{o&&Math.abs(o.b-o.a)>(n-t)/100&&r(Math.min(o.a,o.b),Math.max(o.a,o.b)),i(void 0)}}>
      <line x1=${L.left} y1=${X-L.bottom} x2=${de-L.right} y2=${X-L.bottom} class="axis" />
      <line x1=${L.left} y1=${L.top} x2=${L.left} y2=${X-L.bottom} class="axis" />
      <text x=${L.left-6} y=${L.top+10} text-anchor="end" class="tick">${Nn(m)}</text>
      <text x=${L.left-6} y=${X-L.bottom} text-anchor="end" class="tick">${Nn(u)}</text>
      <text x=${L.left} y=${X-6} class="tick">${new Date(t).toLocaleTimeString()}</text>
      <text x=${de-L.right} y=${X-6} text-anchor="end" class="tick">${new Date(n).toLocaleTimeString()}</text>
      <path d=${h} class="line" />
      ${o?a`<rect class="selection" x=${d(Math.min(o.a,o.b))} y=${L.top} width=${Math.abs(d(o.b)-d(o.a))} height=${X-L.top-L.bottom} />`:null}
    </svg>
    <figcaption class="hint">Drag across the chart to zoom into a range.</figcaption>
  </figure>`}function Nn(e){return Math.abs(e)>=1e3||Number.isInteger(e)?String(Math.round(e)):e.toPrecision(4)}var In=[{label:"15 min",ms:15*6e4},{label:"1 h",ms:36e5},{label:"6 h",ms:6*36e5},{label:"24 h",ms:24*36e5},{label:"7 d",ms:168*36e5}];function Mn({thing:e}){let[t,n]=g(),[s,r]=g(),[o,i]=g(),[l,u]=g(()=>jn(In[1])),[m,d]=g();return k(()=>{w(`/things/${_(e)}/telemetry/latest`).then(p=>{let h=Object.keys(p.metrics).sort();n(h),i(c=>c??h[0])}).catch(p=>r(p instanceof E&&p.status===404?"Telemetry is not enabled on this node.":String(p.message)))},[e]),k(()=>{o&&w(`/things/${_(e)}/telemetry?metric=${_(o)}&from=${Math.floor(l.from)}&to=${Math.ceil(l.to)}`).then(p=>{let h=(p.series[0]?.points??[]).map(c=>Array.isArray(c)?[c[0],c[1]]:[c.ts,c.avg]);d({points:h,step:p.step})}).catch(()=>d({points:[],step:"?"}))},[e,o,l]),a`<section class="card telemetry" aria-labelledby="telemetry-title" data-testid="telemetry">
    <h2 id="telemetry-title">Telemetry</h2>
    ${s?a`<p class="empty">${s}</p>`:null}
    ${t&&t.length===0?a`<p class="empty">No telemetry from this thing yet.</p>`:null}
    ${t&&t.length>0?a`<div class="row">
            <label>Metric
              <select value=${o} onChange=${p=>i(p.target.value)}>
                ${t.map(p=>a`<option value=${p}>${p}</option>`)}
              </select>
            </label>
            <span role="group" aria-label="Time range" class="ranges">
              ${In.map(p=>a`<button type="button" aria-pressed=${l.label===p.label} onClick=${()=>u(jn(p))}>${p.label}</button>`)}
            </span>
          </div>
          <p class="meta">${new Date(l.from).toLocaleString()} – ${new Date(l.to).toLocaleString()}
            ${m?` \xB7 step ${m.step} \xB7 ${m.points.length} points`:""}</p>
          ${m?a`<${On} points=${m.points} from=${l.from} to=${l.to} label=${`${o} over time`}
                onSelect=${(p,h)=>u({from:p,to:h,label:"custom"})} />`:a`<p>Loading…</p>`}`:null}
  </section>`}function jn(e){let t=Date.now();return{from:t-e.ms,to:t,label:e.label}}function Fn({route:e,session:t}){let n=e.args[0]??"",s=e.query.get("shadow")??"",[r,o]=g({kind:"loading"}),[i,l]=g([]),[u,m]=g(),d=s?`?name=${_(s)}`:"";return k(()=>{w(`/things/${_(n)}/shadows`).then(p=>l(p.results)).catch(()=>l([]))},[n]),k(()=>{o({kind:"loading"});let p=-1,h=f=>{f.version<p||(p=f.version,f.connection&&m(f.connection),o({kind:"ok",doc:f}))};w(`/things/${_(n)}/shadow${d}`).then(h).catch(f=>{f instanceof E&&f.status===404?o(b=>b.kind==="ok"?b:{kind:"missing"}):o({kind:"error",message:f instanceof E?f.message:String(f)})});let c=new EventSource(`/things/${_(n)}/shadow/events${d}`);return c.addEventListener("shadow",f=>h(JSON.parse(f.data))),c.addEventListener("deleted",f=>{p=JSON.parse(f.data).version,o({kind:"missing"})}),()=>c.close()},[n,s]),ae(p=>{p.type==="presence"&&p.data.thing===n&&m(p.data.connection)},[n]),a`
    <p class="crumbs"><a href="#/">Fleet</a> / ${n}</p>
    <h1>${n}</h1>
    <section class="presence" aria-label="Presence" data-testid="presence">
      ${De(u)}
      ${u?a` at site <strong>${u.site}</strong> since ${N(u.since)} (${Z(u.since)})`:null}
    </section>
    <nav class="tabs" aria-label="Shadows of this thing">
      <a href=${U(n)} aria-current=${s===""?"page":void 0}>classic</a>
      ${i.map(p=>a`<a href=${U(n,p)} aria-current=${s===p?"page":void 0}>${p}</a>`)}
    </nav>
    ${Eo(r,n,s,H(t))}
    <${Dn} thing=${n} editable=${H(t)} focus=${e.query.get("view")==="inventory"} />
    <${Mn} thing=${n} />
    <${En} thing=${n} shadow=${s} version=${r.kind==="ok"?r.doc.version:void 0} />
  `}function Eo(e,t,n,s){if(e.kind==="loading")return a`<p>Loading shadow…</p>`;if(e.kind==="error")return a`<p class="error" role="alert">${e.message}</p>`;let r=e.kind==="ok"?e.doc:void 0;return a`
    ${r?a`<p class="meta" data-testid="version">Version <strong>${r.version}</strong></p>`:a`<p class="empty">This shadow does not exist yet.</p>`}
    ${r?a`<div class="panels">
          <${ye} title="Desired" value=${r.state.desired} id="desired" />
          <${ye} title="Reported" value=${r.state.reported} id="reported" />
          <${ye} title="Delta" value=${r.state.delta} id="delta" empty="In sync: nothing pending" />
          <${ye} title="Metadata" value=${r.metadata} id="metadata" />
          ${r.conflicts?a`<${ye} title="Conflicts" value=${r.conflicts} id="conflicts" />`:null}
        </div>`:null}
    ${s?a`<${kn} key=${`${t}/${n}`} thing=${t} shadow=${n} doc=${r} />`:null}
  `}function ye({title:e,value:t,id:n,empty:s}){return a`<section class="panel" aria-labelledby=${`h-${n}`} data-testid=${`panel-${n}`}>
    <h2 id=${`h-${n}`}>${e}</h2>
    ${t===void 0?a`<p class="empty">${s??"empty"}</p>`:a`<pre tabindex="0">${J(t)}</pre>`}
  </section>`}var qe=[{page:"",title:"Fleet",nav:!0,component:dn},{page:"things",title:"Thing",nav:!1,component:Fn},{page:"systems",title:"Systems",nav:!0,component:vn},{page:"conflicts",title:"Conflicts",nav:!0,component:sn},{page:"alarms",title:"Alarms",nav:!0,component:on},{page:"review",title:"Review",nav:!1,component:bn},{page:"jobs",title:"Jobs",nav:!0,component:gn},{page:"sites",title:"Sites",nav:!0,component:_n},{page:"identities",title:"Identities",nav:!0,component:pn}];function qn(){let[e,t]=g({kind:"loading"}),n=()=>Wt().then(s=>t({kind:"in",session:s})).catch(s=>t(s instanceof E&&s.status!==0?{kind:"signed-out"}:{kind:"unreachable"}));return k(()=>{Bt(()=>{se.stop(),t({kind:"signed-out",reason:"Your session ended; sign in again."})}),n()},[]),k(()=>{e.kind==="in"&&se.start()},[e.kind]),e.kind==="loading"?a`<main class="centered"><p>Loading…</p></main>`:e.kind==="unreachable"?a`<main class="centered">
      <div class="banner error" role="alert">The node does not answer. It may be restarting or unreachable.</div>
      <button onClick=${n}>Try again</button>
    </main>`:e.kind==="signed-out"?a`<${Kt} reason=${e.reason} onSignedIn=${s=>t({kind:"in",session:s})} />`:a`<${Ro}
    session=${e.session}
    onSignOut=${async()=>{se.stop(),await Gt(),t({kind:"signed-out"})}}
  />`}function Ro({session:e,onSignOut:t}){let n=Yt(),s=Vt(),r=qe.find(o=>o.page===n.page)??qe[0];return k(()=>{document.title=`${r.title} \xB7 Umbra`},[r]),a`
    <header class="top">
      <span class="brand">Umbra</span>
      <nav aria-label="Pages">
        ${qe.filter(o=>o.nav).map(o=>a`<a href=${`#/${o.page}`} aria-current=${o===r||r.page==="things"&&o.page===""?"page":void 0}>${o.title}</a>`)}
      </nav>
      <span class="who">
        <span class=${`link ${s}`} data-link=${s}>${s==="live"?"\u25CF live":s==="lost"?"\u25CF offline":"\u25CF connecting"}</span>
        ${e.name} <span class="role">${e.role}</span>
        ${e.anonymous?null:a`<button class="quiet" onClick=${t}>Sign out</button>`}
      </span>
    </header>
    ${s==="lost"?a`<div class="banner error" role="alert" data-testid="node-lost">
            Lost contact with the node. Showing the last known state; retrying…
          </div>`:null}
    <main id="main">
      <${r.component} route=${n} session=${e} />
    </main>
  `}var Hn=document.getElementById("app");Hn&&Ze(a`<${qn} />`,Hn);
